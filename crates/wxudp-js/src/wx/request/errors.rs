//! Why a request failed, in WeChat's words: `request:fail timeout` (errno 5), and for
//! what the network refused, the text of WeChat's network stack (Chromium's net error
//! names with their numbers, errno 600001): `-102:net::ERR_CONNECTION_REFUSED`,
//! `-105:net::ERR_NAME_NOT_RESOLVED`, `-202:net::ERR_CERT_AUTHORITY_INVALID`, ...

use std::error::Error as _;

/// A request's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NetError {
    /// Longer than its `timeout`.
    Timeout,
    /// The body was larger than [`super::MAX_BODY_BYTES`].
    TooLarge,
    /// A network error: Chromium's number and name (`-102`, `ERR_CONNECTION_REFUSED`).
    Net(i32, &'static str),
}

impl NetError {
    /// The text after `request:fail `.
    pub(crate) fn reason(&self) -> String {
        match self {
            NetError::Timeout => "timeout".into(),
            NetError::TooLarge => format!(
                "the response is larger than {} MiB",
                super::MAX_BODY_BYTES >> 20
            ),
            NetError::Net(code, name) => format!("{code}:net::{name}"),
        }
    }

    /// WeChat's errno (from base library 2.24.0): 5 for a timeout, 600001 for the
    /// network's errors.
    pub(crate) fn errno(&self) -> i32 {
        match self {
            NetError::Timeout => 5,
            NetError::TooLarge | NetError::Net(..) => 600001,
        }
    }

    /// What a reqwest error was, read from its chain of causes.
    pub(crate) fn from_reqwest(e: &reqwest::Error) -> NetError {
        if e.is_timeout() {
            return NetError::Timeout;
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = e.source();
        let mut text = e.to_string();
        while let Some(c) = cause {
            if let Some(tls) = c.downcast_ref::<rustls::Error>() {
                return tls_error(tls);
            }
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                if let Some(found) = io
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    return tls_error(found);
                }
                if let Some(found) = io_error(io) {
                    return found;
                }
            }
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        let lower = text.to_ascii_lowercase();
        if lower.contains("dns error") || lower.contains("failed to lookup address") {
            NetError::Net(-105, "ERR_NAME_NOT_RESOLVED")
        } else if lower.contains("connection closed before message completed")
            || lower.contains("incomplete message")
        {
            NetError::Net(-100, "ERR_CONNECTION_CLOSED")
        } else if lower.contains("invalid") && lower.contains("http") {
            NetError::Net(-320, "ERR_INVALID_RESPONSE")
        } else if e.is_redirect() {
            NetError::Net(-310, "ERR_TOO_MANY_REDIRECTS")
        } else {
            NetError::Net(-2, "ERR_FAILED")
        }
    }
}

fn io_error(io: &std::io::Error) -> Option<NetError> {
    use std::io::ErrorKind;
    Some(match io.kind() {
        ErrorKind::ConnectionRefused => NetError::Net(-102, "ERR_CONNECTION_REFUSED"),
        ErrorKind::ConnectionReset => NetError::Net(-101, "ERR_CONNECTION_RESET"),
        ErrorKind::ConnectionAborted => NetError::Net(-103, "ERR_CONNECTION_ABORTED"),
        ErrorKind::UnexpectedEof => NetError::Net(-100, "ERR_CONNECTION_CLOSED"),
        ErrorKind::TimedOut => NetError::Net(-118, "ERR_CONNECTION_TIMED_OUT"),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            NetError::Net(-109, "ERR_ADDRESS_UNREACHABLE")
        }
        _ => return None,
    })
}

fn tls_error(e: &rustls::Error) -> NetError {
    use rustls::CertificateError;
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                NetError::Net(-200, "ERR_CERT_COMMON_NAME_INVALID")
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                NetError::Net(-201, "ERR_CERT_DATE_INVALID")
            }
            CertificateError::Revoked => NetError::Net(-206, "ERR_CERT_REVOKED"),
            _ => NetError::Net(-202, "ERR_CERT_AUTHORITY_INVALID"),
        },
        _ => NetError::Net(-107, "ERR_SSL_PROTOCOL_ERROR"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_errnos_are_wechat_s() {
        assert_eq!(NetError::Timeout.reason(), "timeout");
        assert_eq!(NetError::Timeout.errno(), 5);
        let refused = NetError::Net(-102, "ERR_CONNECTION_REFUSED");
        assert_eq!(refused.reason(), "-102:net::ERR_CONNECTION_REFUSED");
        assert_eq!(refused.errno(), 600001);
        assert_eq!(
            tls_error(&rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
            .reason(),
            "-202:net::ERR_CERT_AUTHORITY_INVALID"
        );
        assert_eq!(
            io_error(&std::io::ErrorKind::ConnectionRefused.into()),
            Some(refused)
        );
    }
}
