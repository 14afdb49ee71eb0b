//! Where the Wi-Fi facts come from: a phone on one network (`wxudp run` alone), or the
//! `wxudp lan` controller, asked over the host's control socket with the LAN's typed
//! protocol (`wxudp_lan::protocol`) on the run's tokio: the JS thread never waits for
//! the controller.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use wxudp_lan::protocol::{self, bssid_for, Ap, Request, Security, MAX_FRAME};

use super::{code, Fail};

/// How long `connectWifi` waits for the LAN controller's answer.
const CONTROL_WAIT: Duration = Duration::from_secs(30);

/// What a backend answers, later.
pub(crate) type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, Fail>> + Send + 'a>>;

/// What joining a network did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Joined {
    /// The host moved to another network (its address changed).
    pub(crate) moved: bool,
}

/// Where the Wi-Fi facts come from.
pub(crate) trait Backend: Send {
    /// Every access point known, in range or not.
    fn scan(&mut self) -> Answer<'_, Vec<Ap>>;
    /// The access point this host is connected to.
    fn connected(&mut self) -> Answer<'_, Option<Ap>>;
    /// Joins `ap` with `password`: the backend checks the password (errCode 12002).
    fn join<'a>(&'a mut self, ap: &'a Ap, password: &'a str) -> Answer<'a, Joined>;
}

/// A phone connected to one network, outside a LAN.
pub(crate) struct Phone {
    ap: Option<Ap>,
}

impl Phone {
    /// A phone on the network `ssid`, or with Wi-Fi off (`None`).
    pub(crate) fn new(ssid: Option<&str>) -> Phone {
        Phone {
            ap: ssid.map(|ssid| Ap {
                ssid: ssid.to_owned(),
                bssid: bssid_for(ssid),
                security: Security::Wpa2,
                signal: 80,
                frequency: 2437,
            }),
        }
    }
}

impl Backend for Phone {
    fn scan(&mut self) -> Answer<'_, Vec<Ap>> {
        Box::pin(std::future::ready(Ok(self.ap.iter().cloned().collect())))
    }

    fn connected(&mut self) -> Answer<'_, Option<Ap>> {
        Box::pin(std::future::ready(Ok(self.ap.clone())))
    }

    fn join<'a>(&'a mut self, _ap: &'a Ap, _password: &'a str) -> Answer<'a, Joined> {
        // Its own network, already connected; its password is not known here.
        Box::pin(std::future::ready(Ok(Joined { moved: false })))
    }
}

/// A host of a LAN: asks the `wxudp lan` controller over its control socket.
pub(crate) struct LanClient {
    path: PathBuf,
}

impl LanClient {
    pub(crate) fn new(path: PathBuf) -> LanClient {
        LanClient { path }
    }

    /// One request and its answer (a failure's errCode and reason as the controller
    /// gives them), within [`CONTROL_WAIT`].
    async fn ask(&self, request: Request) -> Result<protocol::Answer, Fail> {
        match tokio::time::timeout(CONTROL_WAIT, self.exchange(&request)).await {
            Ok(answer) => answer,
            Err(_) => Err(Fail::new(code::TIMEOUT, "connection timeout")),
        }
    }

    async fn exchange(&self, request: &Request) -> Result<protocol::Answer, Fail> {
        let unreachable = |e: std::io::Error| {
            Fail::new(
                code::SYSTEM,
                format!("cannot reach the LAN controller: {e}"),
            )
        };
        let frame = protocol::frame(request).ok_or_else(|| {
            Fail::new(
                code::SYSTEM,
                "the request is too long for the LAN controller",
            )
        })?;
        let mut stream = UnixStream::connect(&self.path).await.map_err(unreachable)?;
        stream.write_all(&frame).await.map_err(unreachable)?;
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_FRAME + 1).unwrap_or(u64::MAX);
        let n = BufReader::new(stream)
            .take(limit)
            .read_until(b'\n', &mut line)
            .await
            .map_err(unreachable)?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Err(Fail::new(
                code::SYSTEM,
                if line.len() > MAX_FRAME {
                    "the LAN controller's answer is too long"
                } else {
                    "the LAN controller closed the connection"
                },
            ));
        }
        let answer: protocol::Answer = serde_json::from_slice(&line).map_err(|e| {
            Fail::new(
                code::SYSTEM,
                format!("the LAN controller answered nonsense: {e}"),
            )
        })?;
        if answer.ok {
            return Ok(answer);
        }
        Err(Fail::new(
            answer.err_code.unwrap_or(code::SYSTEM),
            answer
                .reason
                .unwrap_or_else(|| "system internal error".into()),
        ))
    }
}

impl Backend for LanClient {
    fn scan(&mut self) -> Answer<'_, Vec<Ap>> {
        Box::pin(async move { Ok(self.ask(Request::Scan).await?.networks.unwrap_or_default()) })
    }

    fn connected(&mut self) -> Answer<'_, Option<Ap>> {
        Box::pin(async move { Ok(self.ask(Request::Status).await?.connected.flatten()) })
    }

    fn join<'a>(&'a mut self, ap: &'a Ap, password: &'a str) -> Answer<'a, Joined> {
        Box::pin(async move {
            let answer = self
                .ask(Request::Connect {
                    ssid: ap.ssid.clone(),
                    bssid: ap.bssid.clone(),
                    password: password.to_string(),
                })
                .await?;
            Ok(Joined {
                moved: answer.moved.unwrap_or(false),
            })
        })
    }
}
