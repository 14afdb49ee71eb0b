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
    /// The run's memory budget (`--native-memory`) had no room for the request or its
    /// answer.
    OutOfMemory,
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
            NetError::OutOfMemory => "cannot allocate memory (native memory budget used up)".into(),
        }
    }

    /// WeChat's errno (from base library 2.24.0): 5 for a timeout, 600001 for the
    /// network's errors.
    pub(crate) fn errno(&self) -> i32 {
        match self {
            NetError::Timeout => 5,
            NetError::TooLarge | NetError::Net(..) | NetError::OutOfMemory => 600001,
        }
    }

    /// What a reqwest error was, read from its chain of causes.
    pub(crate) fn from_reqwest(e: &reqwest::Error) -> NetError {
        if e.is_timeout() {
            return NetError::Timeout;
        }
        if let Some(found) = e.source().and_then(dig) {
            return found;
        }
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
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

/// A TLS or socket error in `e` or what it wraps: an `io::Error` hides what it wraps
/// from `source()` (it answers for the wrapped error's own source), so `get_ref` is
/// followed too.
fn dig(e: &(dyn std::error::Error + 'static)) -> Option<NetError> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls_error(tls));
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        if let Some(inner) = io.get_ref() {
            if let Some(found) = dig(inner) {
                return Some(found);
            }
        }
        if let Some(found) = io_error(io) {
            return Some(found);
        }
    }
    e.source().and_then(dig)
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
