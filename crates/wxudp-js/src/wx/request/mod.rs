//! `wx.request`: real HTTP/1.1 and HTTPS through reqwest (rustls, with Mozilla's roots
//! and the run's `--cacert`), on the run's tokio, so the event loop goes on while a
//! request waits (names resolve on tokio's blocking pool). request.js gives it WeChat's
//! shape (the `RequestTask`, the data encoding, `dataType`); this side sends the request
//! and turns what happens into completions: the headers, each chunk (with
//! `enableChunked`), then the answer or the failure, in WeChat's `request:fail` texts.
//!
//! At most [`MAX_CONCURRENT`] requests run at once, as in WeChat; later ones wait for a
//! place. A body is read up to [`MAX_BODY_BYTES`].

mod errors;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::{Ctx, Exception, Function, Object, Value};
use tokio::sync::Semaphore;

use crate::observe::Observer;
use crate::runtime::convert::{js_array_buffer, view_bytes, JsText};
use crate::runtime::host::Shared;
use crate::runtime::tasks::Sender;

pub(crate) use errors::NetError;

/// Requests running at once, at most (WeChat's limit for `request`, `uploadFile` and
/// `downloadFile` together).
pub(crate) const MAX_CONCURRENT: usize = 10;

/// The largest response body read: 64 MiB; beyond it the request fails.
pub(crate) const MAX_BODY_BYTES: usize = 64 << 20;

/// What a request counts in the run's memory budget from `wx.request` until it ends,
/// beside its request body and the response's bytes until they reach the script: its
/// task, its description and its share of a connection's buffers.
pub(crate) const REQUEST_COST: usize = 16 << 10;

/// What one run's requests share.
pub(crate) struct Http {
    /// Built at the first request: one client that follows redirects, one that does not.
    clients: RefCell<Option<(reqwest::Client, reqwest::Client)>>,
    /// `--cacert`: certificates trusted beside Mozilla's roots (PEM).
    ca: Option<std::path::PathBuf>,
    places: Arc<Semaphore>,
    /// The running requests, by their callback's number, to abort them.
    running: RefCell<HashMap<u64, tokio::task::AbortHandle>>,
    observer: Arc<Observer>,
    runtime: tokio::runtime::Handle,
    /// The run's memory budget, which requests count against.
    limits: wxudp::Limits,
}

/// A request as request.js hands it over.
struct Spec {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout: Duration,
    arraybuffer: bool,
    chunked: bool,
    follow: bool,
}

/// What the answer carried, for the headers event and the success result.
#[derive(Debug, Clone)]
struct Head {
    status: u16,
    header: Vec<(String, String)>,
    cookies: Vec<String>,
}

impl Http {
    pub(crate) fn new(
        ca: Option<std::path::PathBuf>,
        observer: Arc<Observer>,
        runtime: tokio::runtime::Handle,
        limits: wxudp::Limits,
    ) -> Http {
        Http {
            clients: RefCell::new(None),
            ca,
            places: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            running: RefCell::default(),
            observer,
            runtime,
            limits,
        }
    }

    /// The client for a request that follows redirects or not, built at first use.
    fn client(&self, follow: bool) -> Result<reqwest::Client, String> {
        if self.clients.borrow().is_none() {
            let made = (self.build(true)?, self.build(false)?);
            *self.clients.borrow_mut() = Some(made);
        }
        let clients = self.clients.borrow();
        let (f, m) = clients.as_ref().ok_or("no HTTP client")?;
        Ok(if follow { f.clone() } else { m.clone() })
    }

    fn build(&self, follow: bool) -> Result<reqwest::Client, String> {
        let mut builder = reqwest::Client::builder()
            // Requests go where the page says: no proxy from the environment.
            .no_proxy()
            .redirect(if follow {
                reqwest::redirect::Policy::limited(10)
            } else {
                reqwest::redirect::Policy::none()
            });
        if let Some(path) = &self.ca {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read --cacert {}: {e}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("--cacert {}: {e}", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build().map_err(|e| e.to_string())
    }

    /// Starts a request; its events go to `sender`. One the run's memory budget has no
    /// room for fails as WeChat's fail: `request:fail cannot allocate memory ...`.
    fn start(&self, spec: Spec, sender: Sender) -> Result<(), String> {
        let client = self.client(spec.follow)?;
        let places = self.places.clone();
        let observer = self.observer.clone();
        let id = sender.id();
        let started = Instant::now();
        observer.request_started(id, spec.method.as_str(), spec.url.as_str());
        let cost = REQUEST_COST.saturating_add(spec.body.as_ref().map_or(0, Vec::len));
        let Some(charge) = self.limits.reserve(cost) else {
            let e = NetError::OutOfMemory;
            observer.request_ended(id, Err(e.reason()), 0.0);
            sender.send(true, move |ctx| fail_event(ctx, &e));
            return Ok(());
        };
        let limits = self.limits.clone();
        let task = self.runtime.spawn(async move {
            let _charge = charge;
            let _place = places.acquire_owned().await;
            let timeout = spec.timeout;
            let outcome =
                match tokio::time::timeout(timeout, exchange(client, spec, &sender, &limits)).await
                {
                    Ok(outcome) => outcome,
                    Err(_) => Err(NetError::Timeout),
                };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            match outcome {
                Ok((head, bytes)) => {
                    observer.request_ended(id, Ok((head.status, bytes)), ms);
                }
                Err(e) => {
                    observer.request_ended(id, Err(e.reason()), ms);
                    sender.send(true, move |ctx| fail_event(ctx, &e));
                }
            }
        });
        self.running.borrow_mut().insert(id, task.abort_handle());
        Ok(())
    }

    /// Aborts a running request (request.js reports `request:fail abort` itself).
    fn abort(&self, id: u64) {
        if let Some(task) = self.running.borrow_mut().remove(&id) {
            task.abort();
            self.observer
                .request_ended(id, Err("abort".to_string()), f64::NAN);
        }
    }

    /// Forgets a request that ended.
    fn ended(&self, id: u64) {
        self.running.borrow_mut().remove(&id);
    }
}

/// Sends the request, reports its headers and chunks, and the answer (the last
/// completion); returns the head and the body's length for the record.
async fn exchange(
    client: reqwest::Client,
    spec: Spec,
    sender: &Sender,
    limits: &wxudp::Limits,
) -> Result<(Head, u64), NetError> {
    let mut request = client.request(spec.method, spec.url);
    for (name, value) in &spec.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = spec.body {
        request = request.body(body);
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| NetError::from_reqwest(&e))?;
    let head = head_of(&response);
    let h = head.clone();
    sender.send(false, move |ctx| head_event(ctx, "headers", &h));
    let mut body = Vec::new();
    // The response's bytes count in the memory budget until the script has them.
    let mut body_charge = limits.reserve(0).ok_or(NetError::OutOfMemory)?;
    let mut total = 0u64;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| NetError::from_reqwest(&e))?
    {
        total += chunk.len() as u64;
        if spec.chunked {
            let bytes = chunk.to_vec();
            let charge = limits.reserve(bytes.len()).ok_or(NetError::OutOfMemory)?;
            sender.send(false, move |ctx| {
                let _charge = charge;
                let event = Object::new(ctx.clone())?;
                event.set("type", "chunk")?;
                event.set("data", js_array_buffer(ctx.clone(), &bytes)?)?;
                Ok(event.into_value())
            });
        } else {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(NetError::TooLarge);
            }
            if !body_charge.grow(chunk.len()) {
                return Err(NetError::OutOfMemory);
            }
            body.extend_from_slice(&chunk);
        }
    }
    let h = head.clone();
    let arraybuffer = spec.arraybuffer;
    sender.send(true, move |ctx| {
        let _charge = body_charge;
        let event = head_event(ctx, "done", &h)?;
        let obj = Object::from_value(event.clone())?;
        if arraybuffer {
            obj.set("data", js_array_buffer(ctx.clone(), &body)?)?;
        } else {
            // As WeChat: one UTF-8 byte order mark is dropped.
            let text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
            obj.set("data", String::from_utf8_lossy(text).into_owned())?;
        }
        Ok(event)
    });
    Ok((head, total))
}

/// The status, the header (names in their usual capitals: `Content-Type`) and the
/// cookies (each `Set-Cookie` value) of a response.
fn head_of(response: &reqwest::Response) -> Head {
    let mut header: Vec<(String, String)> = Vec::new();
    let mut cookies = Vec::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == reqwest::header::SET_COOKIE {
            cookies.push(value.clone());
        }
        let name = title_case(name.as_str());
        match header.iter_mut().find(|(n, _)| *n == name) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => header.push((name, value)),
        }
    }
    Head {
        status: response.status().as_u16(),
        header,
        cookies,
    }
}

/// `content-type` as `Content-Type`: HTTP/1.1 names are case-insensitive and the
/// client reads them in lower case; pages read them as servers usually write them.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

/// `{type, statusCode, header, cookies}`.
fn head_event<'js>(ctx: &Ctx<'js>, kind: &str, head: &Head) -> rquickjs::Result<Value<'js>> {
    let event = Object::new(ctx.clone())?;
    event.set("type", kind)?;
    event.set("statusCode", head.status)?;
    let header = Object::new(ctx.clone())?;
    for (name, value) in &head.header {
        header.set(name.as_str(), value.as_str())?;
    }
    event.set("header", header)?;
    event.set("cookies", head.cookies.clone())?;
    Ok(event.into_value())
}

/// `{type: 'fail', errMsg, errno}`.
fn fail_event<'js>(ctx: &Ctx<'js>, e: &NetError) -> rquickjs::Result<Value<'js>> {
    let event = Object::new(ctx.clone())?;
    event.set("type", "fail")?;
    event.set("errMsg", format!("request:fail {}", e.reason()))?;
    event.set("errno", e.errno())?;
    Ok(event.into_value())
}

/// Reads request.js's description of a request (built by the prelude, never by the
/// script: plain data properties).
fn spec<'js>(ctx: &Ctx<'js>, o: &Object<'js>) -> rquickjs::Result<Spec> {
    let bad = |what: &str| Exception::throw_type(ctx, &format!("request: {what}"));
    let JsText(method) = o.get("method")?;
    let JsText(url) = o.get("url")?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| bad("method"))?;
    let url = reqwest::Url::parse(&url).map_err(|_| bad("url"))?;
    let pairs: Vec<Vec<JsText>> = o.get("headers")?;
    let headers = pairs
        .into_iter()
        .filter_map(|mut p| {
            let value = p.pop()?.0;
            let name = p.pop()?.0;
            Some((name, value))
        })
        .collect();
    let body: Value<'js> = o.get("body")?;
    let body = if body.is_undefined() {
        None
    } else if let Some(s) = body.as_string() {
        Some(crate::runtime::convert::text(s).into_bytes())
    } else {
        Some(view_bytes(&body).map_err(|_| bad("body"))?)
    };
    let timeout: f64 = o.get("timeout")?;
    Ok(Spec {
        method,
        url,
        headers,
        body,
        timeout: Duration::from_secs_f64((timeout.max(0.0) / 1000.0).min(1e9)),
        arraybuffer: o.get("arraybuffer")?,
        chunked: o.get("chunked")?,
        follow: o.get("follow")?,
    })
}

/// Adds `N.request(spec, callback)` (returns the request's number, or throws the
/// reason it cannot start), `N.requestAbort(id)` and `N.requestEnded(id)`.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    host: &Shared,
    http: &Rc<Http>,
) -> rquickjs::Result<()> {
    let (h, web) = (host.clone(), http.clone());
    n.set(
        "request",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  o: Object<'js>,
                  callback: Function<'js>|
                  -> rquickjs::Result<f64> {
                let spec = spec(&ctx, &o)?;
                let sender = h.borrow_mut().tasks.register(&ctx, callback);
                let id = sender.id();
                if let Err(e) = web.start(spec, sender) {
                    h.borrow_mut().tasks.cancel(id);
                    return Err(Exception::throw_message(&ctx, &e));
                }
                Ok(id as f64)
            },
        )?,
    )?;
    let (h, web) = (host.clone(), http.clone());
    n.set(
        "requestAbort",
        Function::new(ctx.clone(), move |id: f64| {
            let id = id as u64;
            web.abort(id);
            h.borrow_mut().tasks.cancel(id);
        })?,
    )?;
    let web = http.clone();
    n.set(
        "requestEnded",
        Function::new(ctx.clone(), move |id: f64| web.ended(id as u64))?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::title_case;

    #[test]
    fn header_names_get_their_usual_capitals() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-request-id"), "X-Request-Id");
        assert_eq!(title_case("etag"), "Etag");
    }
}
