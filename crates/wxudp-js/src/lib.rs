//! # wxudp-js
//!
//! A headless mini-program runtime: QuickJS (through rquickjs) with a `wx` global whose
//! `createUDPSocket` is backed by the [`wxudp`] core, so mini-program UDP code runs
//! unchanged on a laptop or in CI. `wxudp run app.js` is this crate's [`run`].
//!
//! The crate is arranged by area, as deno_core and LLRT arrange theirs:
//!
//! - `runtime/`: the event loop (one thread, a current-thread tokio runtime that also
//!   drives the sockets, so a datagram reaches its listener without a thread hop), its
//!   inbox, timers, how a run stops, how exceptions and rejections are reported, and the
//!   conversions between JavaScript values and the core's typed values.
//! - `package/`: what a run loads: project folders, module resolution confined to the
//!   package, the TypeScript and ES module transform, base library versions.
//! - `wx/<api>/`: one folder per API (udp, wifi, storage, system, pages, console,
//!   text, ui), each with its native functions and its slice of the prelude, the
//!   JavaScript that gives them WeChat's shape; `wx/mod.rs` assembles the prelude.
//! - `observe/`: `--trace`, `--pcap` and `--report`.
//!
//! ```no_run
//! let code = wxudp_js::run(std::path::Path::new("examples/hello.js"), &wxudp_js::RunOptions::default());
//! std::process::exit(code);
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use wxudp::Policy;

mod observe;
mod package;
mod runtime;
mod wx;

pub use package::version::BaseLibrary;
pub use runtime::timerfd;
pub use wx::system::platform::Platform;
pub use wx::wifi;
pub use wxudp_lan::pcap;

/// Exit status: the script ran and nothing went uncaught.
///
/// # Examples
/// ```
/// use wxudp_js::{run, RunOptions, EXIT_OK};
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// std::fs::write(&path, "const sum = 1 + 2; if (sum !== 3) throw new Error('math');").unwrap();
/// let code = run(&path, &RunOptions::default());
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_OK);
/// ```
pub const EXIT_OK: i32 = 0;
/// Exit status: an uncaught exception (top level, listener, timer or promise), a syntax
/// error, or a script that cannot be read. The error and its stack go to stderr.
///
/// # Examples
/// ```
/// use wxudp_js::{run, RunOptions, EXIT_ERROR};
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// std::fs::write(&path, "setTimeout(function () { throw new Error('boom'); }, 1);").unwrap();
/// let code = run(&path, &RunOptions::default());
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_ERROR);
/// assert_eq!(run("no-such-script.js".as_ref(), &RunOptions::default()), EXIT_ERROR);
/// ```
pub const EXIT_ERROR: i32 = 1;
/// Exit status: `--timeout` ([`RunOptions::timeout`]) ended the run (at once, whatever
/// the script was doing).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use wxudp_js::{run, RunOptions, EXIT_TIMEOUT};
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// std::fs::write(&path, "setInterval(function () {}, 10); // never ends by itself").unwrap();
/// let options = RunOptions { timeout: Some(Duration::from_millis(100)), ..RunOptions::default() };
/// let code = run(&path, &options);
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_TIMEOUT);
/// ```
pub const EXIT_TIMEOUT: i32 = 124;
/// Exit status: SIGHUP ended the run (as [`EXIT_INTERRUPTED`] describes).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use wxudp_js::{run, RunOptions, EXIT_HANGUP};
/// let ready = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// // The script tells `ready` it runs (its signal handlers are in place by then).
/// std::fs::write(&path, format!(r"
///     setInterval(function () {{}}, 1000);
///     wx.createUDPSocket().send({{ address: '127.0.0.1', port: {}, message: 'ready' }});
/// ", ready.local_addr().unwrap().port())).unwrap();
/// let signaller = std::thread::spawn(move || {
///     ready.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
///     ready.recv(&mut [0u8; 8]).unwrap();
///     signal_hook::low_level::raise(signal_hook::consts::SIGHUP).unwrap();
/// });
/// let options = RunOptions { timeout: Some(Duration::from_secs(30)), ..RunOptions::default() };
/// let code = run(&path, &options);
/// signaller.join().unwrap();
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_HANGUP);
/// ```
pub const EXIT_HANGUP: i32 = 129;
/// Exit status: Ctrl-C (SIGINT) ended the run. The script is cut short, then the
/// `wx.onAppHide` listeners, `App.onHide` and each page's `onHide`/`onUnload` run, then
/// the sockets close (flushing what was sent). A second signal ends the run at once,
/// with the first signal's status.
///
/// # Examples
/// The `wx.onAppHide` listener runs before the run ends; here it stores a value that
/// outlives the run.
/// ```
/// use std::time::Duration;
/// use wxudp_js::{run, RunOptions, EXIT_INTERRUPTED};
/// let ready = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// let storage = path.with_extension("json");
/// // The script tells `ready` it runs (its signal handlers are in place by then).
/// std::fs::write(&path, format!(r"
///     wx.onAppHide(function () {{ wx.setStorageSync('hidden', true); }});
///     setInterval(function () {{}}, 1000);
///     wx.createUDPSocket().send({{ address: '127.0.0.1', port: {}, message: 'ready' }});
/// ", ready.local_addr().unwrap().port())).unwrap();
/// let signaller = std::thread::spawn(move || {
///     ready.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
///     ready.recv(&mut [0u8; 8]).unwrap();
///     signal_hook::low_level::raise(signal_hook::consts::SIGINT).unwrap();
/// });
/// let options = RunOptions {
///     timeout: Some(Duration::from_secs(30)),
///     storage: Some(storage.clone()),
///     ..RunOptions::default()
/// };
/// let code = run(&path, &options);
/// signaller.join().unwrap();
/// let stored = std::fs::read_to_string(&storage).unwrap();
/// std::fs::remove_file(&path).unwrap();
/// std::fs::remove_file(&storage).unwrap();
/// assert_eq!(code, EXIT_INTERRUPTED);
/// assert!(stored.contains("hidden"), "{stored}");
/// ```
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit status: SIGTERM ended the run (as [`EXIT_INTERRUPTED`] describes).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use wxudp_js::{run, RunOptions, EXIT_TERMINATED};
/// let ready = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// // The script tells `ready` it runs (its signal handlers are in place by then).
/// std::fs::write(&path, format!(r"
///     setInterval(function () {{}}, 1000);
///     wx.createUDPSocket().send({{ address: '127.0.0.1', port: {}, message: 'ready' }});
/// ", ready.local_addr().unwrap().port())).unwrap();
/// let signaller = std::thread::spawn(move || {
///     ready.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
///     ready.recv(&mut [0u8; 8]).unwrap();
///     signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
/// });
/// let options = RunOptions { timeout: Some(Duration::from_secs(30)), ..RunOptions::default() };
/// let code = run(&path, &options);
/// signaller.join().unwrap();
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_TERMINATED);
/// ```
pub const EXIT_TERMINATED: i32 = 143;

pub use package::modules::MAX_MODULE_BYTES;

/// The default bound of the JavaScript heap of a run ([`RunOptions::js_memory`]): 1 GiB.
///
/// # Examples
/// ```
/// use wxudp_js::{RunOptions, DEFAULT_JS_MEMORY};
/// assert_eq!(DEFAULT_JS_MEMORY, 1 << 30);
/// assert_eq!(RunOptions::default().js_memory, DEFAULT_JS_MEMORY);
/// ```
pub const DEFAULT_JS_MEMORY: usize = 1 << 30;

/// The default bound of the native memory a run holds for its script
/// ([`RunOptions::native_memory`]): 256 MiB, [`wxudp::Limits::DEFAULT_MEMORY_TOTAL`].
///
/// # Examples
/// ```
/// use wxudp_js::{RunOptions, DEFAULT_NATIVE_MEMORY};
/// assert_eq!(DEFAULT_NATIVE_MEMORY, 256 << 20);
/// assert_eq!(RunOptions::default().native_memory, DEFAULT_NATIVE_MEMORY);
/// ```
pub const DEFAULT_NATIVE_MEMORY: usize = wxudp::Limits::DEFAULT_MEMORY_TOTAL;

/// How to run a script: the options of `wxudp run`. The defaults are a run without a
/// timeout, with storage in memory, base library 3.0.0 and the budgets of
/// [`wxudp::Limits`].
///
/// # Examples
/// Emulating base library 2.9.3: `UDPSocket.connect` does not exist yet, and the
/// destination policy of the time refuses the host's own address (errCode -3).
/// ```
/// use std::time::Duration;
/// use wxudp_js::{run, RunOptions, EXIT_OK};
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// std::fs::write(&path, r"
///     if (wx.canIUse('UDPSocket.connect')) throw new Error('connect came in 2.15.0');
///     const udp = wx.createUDPSocket();
///     udp.onError(function (res) {
///         if (res.errCode !== -3) throw new Error(res.errMsg);
///         udp.close();
///     });
///     udp.send({ address: '127.0.0.1', port: 9, message: 'refused' });
/// ").unwrap();
/// let options = RunOptions {
///     base_library: "2.9.3".parse().unwrap(),
///     timeout: Some(Duration::from_secs(30)),
///     ..RunOptions::default()
/// };
/// let code = run(&path, &options);
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_OK);
/// ```
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// End the run after this long (exit status [`EXIT_TIMEOUT`]), at once in any phase:
    /// in the middle of the script, a listener, a timer or the hide hooks. A run stuck
    /// where no JavaScript runs (a write to a full pipe) is ended by a watchdog thread
    /// a second later, which writes the report and exits the process. A timeout too long for the clock is
    /// no timeout.
    pub timeout: Option<Duration>,
    /// Keep `wx` storage in this JSON file across runs (default: in memory).
    pub storage: Option<PathBuf>,
    /// The base library version to emulate (`wx.getSystemInfoSync().SDKVersion`,
    /// `wx.canIUse`, which `UDPSocket` methods exist, and before 2.9.4 the stricter
    /// destination policy).
    pub base_library: BaseLibrary,
    /// Host names allowed as destinations under the pre-2.9.4 policy ("udp legal
    /// domains").
    pub udp_domains: Vec<String>,
    /// Bytes of received datagrams waiting for their `message` listeners, per socket;
    /// beyond it datagrams are dropped and counted, as a kernel buffer would.
    pub receive_buffer: usize,
    /// The same for all the run's sockets together.
    pub receive_total: usize,
    /// Bytes of sends waiting for a host name or for room in the kernel, per socket;
    /// beyond it `send`/`write` fail with errCode -2.
    pub send_buffer: usize,
    /// The same for all the run's sockets together.
    pub send_total: usize,
    /// Bytes the JavaScript heap may hold; beyond it an allocation throws an
    /// `InternalError: out of memory` in the script.
    pub js_memory: usize,
    /// Bytes of native memory the run may hold for the script outside the JavaScript
    /// heap (`--native-memory`): its sockets (an estimate per socket, more while open),
    /// the datagrams waiting for their listeners and the sends waiting to leave (within
    /// their own budgets above), the error events waiting, its timers and its HTTP
    /// requests (with their bodies). Beyond it the call that needs more fails in
    /// WeChat's way: `createUDPSocket:fail cannot allocate memory (native memory budget
    /// used up)` (a closed socket), the same from `bind`/`send`/`write`/`connect`
    /// (errCode -1), `request:fail cannot allocate memory ...`, and `setTimeout` /
    /// `setInterval` throw a `RangeError`.
    pub native_memory: usize,
    /// The page a mini-program project opens first, with its query (`--page
    /// pages/x/y?k=v`): the route must be one of `app.json`'s pages, and the query goes
    /// to `onLoad`. Default: `entryPagePath`, else the first page.
    pub page: Option<String>,
    /// The device the run pretends to be (`wx.getSystemInfoSync().platform` and the
    /// rest); default [`Platform::Android`].
    pub platform: Platform,
    /// Print every datagram sent and received (with a hex/ASCII preview) and every
    /// error event on stderr as they happen.
    pub trace: bool,
    /// Write the run's datagrams to this file as a pcap capture (for Wireshark).
    pub pcap: Option<PathBuf>,
    /// Write a JSON report to this file at exit: the exit status and reason, the final
    /// `data` of each page, per-socket counts.
    pub report: Option<PathBuf>,
    /// The Wi-Fi network the phone is connected to outside a LAN (`--wifi SSID`):
    /// `wx.getConnectedWifi` and `wx.getWifiList` report it; `None` is a phone whose
    /// Wi-Fi is switched off (errCode 12005). Default [`wifi::DEFAULT_SSID`]. Under
    /// `wxudp lan` the LAN controller answers instead (docs/LAN.md).
    pub wifi: Option<String>,
    /// Print, on stderr, which file each `require`/`import` specifier and each
    /// `usingComponents` path resolved to, and where WeChat would not have found it the
    /// same way (`--verbose`).
    pub verbose: bool,
    /// Certificates (a PEM file) `wx.request` trusts beside Mozilla's roots, for a test
    /// server's own CA (`--cacert`). Certificate checks are always on.
    pub cacert: Option<PathBuf>,
    /// The user data folder of `wx.getFileSystemManager()` (`wx.env.USER_DATA_PATH`),
    /// kept across runs (`--data DIR`); default a temporary folder removed at exit.
    pub data: Option<PathBuf>,
    /// The user's answers to prompts (`--answers FILE.json`): `showModal`,
    /// `showActionSheet`, `authorize`, `getUserProfile`, `openSetting`, `checkSession`,
    /// each a queue; once a queue is empty, the default (confirm, the first item, allow).
    pub answers: Option<PathBuf>,
    /// Scopes the user refuses (`--deny scope.userLocation`).
    pub deny: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: None,
            storage: None,
            base_library: BaseLibrary::DEFAULT,
            udp_domains: Vec::new(),
            receive_buffer: wxudp::Limits::DEFAULT_RECEIVE_BUFFER,
            receive_total: wxudp::Limits::DEFAULT_RECEIVE_TOTAL,
            send_buffer: wxudp::Limits::DEFAULT_SEND_BUFFER,
            send_total: wxudp::Limits::DEFAULT_SEND_TOTAL,
            js_memory: DEFAULT_JS_MEMORY,
            native_memory: DEFAULT_NATIVE_MEMORY,
            page: None,
            platform: Platform::default(),
            trace: false,
            pcap: None,
            report: None,
            wifi: Some(wifi::DEFAULT_SSID.to_owned()),
            verbose: false,
            cacert: None,
            data: None,
            answers: None,
            deny: Vec::new(),
        }
    }
}

impl RunOptions {
    /// Returns the destination policy the base library version implies: before 2.9.4,
    /// the host's own subnets and [`udp_domains`](RunOptions::udp_domains)
    /// ([`Policy::SameSubnet`]); from 2.9.4 on, anything ([`Policy::Any`]).
    ///
    /// # Examples
    /// ```
    /// use wxudp::Policy;
    /// use wxudp_js::RunOptions;
    /// let mut options = RunOptions::default();
    /// assert_eq!(options.policy(), Policy::Any);
    /// options.base_library = "2.9.3".parse().unwrap();
    /// options.udp_domains = vec!["device.invalid".into()];
    /// assert_eq!(options.policy(), Policy::same_subnet(["device.invalid"]));
    /// ```
    pub fn policy(&self) -> Policy {
        if !self.base_library.at_least("2.9.4") {
            Policy::same_subnet(self.udp_domains.iter().cloned())
        } else {
            Policy::Any
        }
    }
}

/// Entry points for fuzz targets: thin wrappers over the code paths the runtime uses, so
/// that a fuzzer reaches them without a script, a socket or a file. Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use rquickjs::{CatchResultExt, Context, Runtime, Value};
    use wxudp::{Error, Method};

    pub use crate::wx::storage::ParseError;

    /// `require`'s resolution: the canonical path of the module `request` names from a
    /// file in `dir`, in the package at `root`; `None` for anything missing, outside the
    /// package or not a regular file.
    pub fn resolve_module(root: &Path, dir: &Path, request: &str) -> Option<PathBuf> {
        use crate::package::resolve::{Mode, Resolver};
        Resolver::new(root, root, Vec::new())
            .resolve(dir, request, Mode::Require)
            .ok()
            .map(|found| found.path)
    }

    /// A module's compilation (the TypeScript and ES module transform, after the depth
    /// check): its JavaScript, or the syntax error. `interop` is `babel`, `tsc` or
    /// `tsc-interop`.
    pub fn compile_module(path: &str, source: &str, interop: &str) -> Result<String, String> {
        use crate::package::config::Interop;
        let interop = match interop {
            "tsc" => Interop::Tsc {
                es_module_interop: false,
            },
            "tsc-interop" => Interop::Tsc {
                es_module_interop: true,
            },
            _ => Interop::Babel,
        };
        crate::package::transform::compile(path, source, interop).map(|c| c.code)
    }

    /// `setData(data)` on a page whose data is `{ list: [1], a: { b: 1 } }`, with the
    /// prelude's own setData (`data` is a JSON object, path to value): the page's data
    /// as JSON afterwards, or the error setData threw. Errors of the harness itself (the
    /// input is not JSON, the script ran out of time) are `Err` too. Checks that no path
    /// reached `Object.prototype`.
    pub fn set_data(data: &str) -> Result<String, String> {
        const HARNESS: &str = r#"
            (function (input) {
              const page = { data: { list: [1], a: { b: 1 } }, setData: setData };
              let outcome;
              try { page.setData(JSON.parse(input)); outcome = JSON.stringify(page.data); }
              catch (e) { outcome = 'threw: ' + e.message; }
              if (({}).polluted !== undefined || Object.prototype.list !== undefined) throw new Error('Object.prototype was reached');
              return outcome;
            })"#;
        let rt = Runtime::new().map_err(|e| e.to_string())?;
        rt.set_memory_limit(SCRIPT_MEMORY);
        let deadline = Instant::now() + SCRIPT_TIME;
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
        let context = Context::full(&rt).map_err(|e| e.to_string())?;
        context.with(|ctx| {
            let script = format!(
                "const N = {{ print: function () {{}} }}; function setTimeout() {{}}\n{}\n{HARNESS}",
                crate::wx::SET_DATA
            );
            let f: rquickjs::Function<'_> = ctx.eval(script).catch(&ctx).map_err(|e| e.to_string())?;
            f.call::<_, String>((data,))
                .catch(&ctx)
                .map_err(|e| e.to_string())
        })
    }

    /// The reader of `--storage` files: each key and its value's JSON text.
    pub fn parse_storage(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
        crate::wx::storage::parse_storage(text)
    }

    /// What `send` would hand the socket engine.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Sent {
        /// The destination as given.
        pub address: String,
        /// The destination port.
        pub port: u16,
        /// The datagram's bytes (a copy).
        pub bytes: Vec<u8>,
        /// `setBroadcast`, as read.
        pub set_broadcast: bool,
    }

    /// Delivers one received datagram the way the event loop does: builds WeChat's
    /// `{message, remoteInfo, localInfo}` result in a fresh QuickJS context and hands it
    /// to a listener that decodes it as real mini programs do (`String.fromCharCode`
    /// over the bytes, `decodeURIComponent(escape(...))`, `JSON.parse`, `DataView`
    /// reads) and checks the result's shape. Returns the listener's summary, or what
    /// went wrong: an exception other than the decoders' own is a bug.
    pub fn deliver_datagram(
        data: &[u8],
        remote: std::net::SocketAddr,
        local: std::net::SocketAddr,
    ) -> Result<String, String> {
        const LISTENER: &str = r#"(function (res) {
            const bytes = new Uint8Array(res.message);
            if (!(res.message instanceof ArrayBuffer)) throw new Error('message is not an ArrayBuffer');
            if (res.remoteInfo.size !== bytes.length) throw new Error('size differs from the bytes');
            if (typeof res.remoteInfo.address !== 'string' || typeof res.localInfo.port !== 'number') throw new Error('bad info');
            let text = '';
            for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
            let decoded = null, json = null;
            try { decoded = decodeURIComponent(escape(text)); } catch (e) { if (!(e instanceof URIError)) throw e; }
            try { json = JSON.parse(decoded === null ? text : decoded); } catch (e) { if (!(e instanceof SyntaxError)) throw e; }
            const view = new DataView(res.message);
            const head = bytes.length >= 4 ? view.getUint32(0, false) : -1;
            return [bytes.length, head, decoded === null ? 'binary' : 'utf-8', typeof json, res.remoteInfo.family, res.localInfo.family].join(' ');
        })"#;
        let rt = Runtime::new().map_err(|e| e.to_string())?;
        rt.set_memory_limit(SCRIPT_MEMORY);
        let deadline = Instant::now() + SCRIPT_TIME;
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
        let context = Context::full(&rt).map_err(|e| e.to_string())?;
        context.with(|ctx| {
            let listener: rquickjs::Function<'_> =
                ctx.eval(LISTENER).catch(&ctx).map_err(|e| e.to_string())?;
            let event = wxudp::Event::Message(wxudp::Message::new(data.to_vec(), remote, local));
            let payload =
                crate::runtime::convert::event_payload(&ctx, event).map_err(|e| e.to_string())?;
            listener
                .call::<_, String>((payload,))
                .catch(&ctx)
                .map_err(|e| e.to_string())
        })
    }

    /// How long a script may run before it is interrupted.
    const SCRIPT_TIME: Duration = Duration::from_secs(2);
    /// The memory a script may use.
    const SCRIPT_MEMORY: usize = 512 * 1024 * 1024;

    /// Evaluates `js_source` (a script whose value is a send option object, such as
    /// `({address: '127.0.0.1', port: 9, message: new Uint8Array([1])})`) in a fresh
    /// QuickJS context and runs it through the conversion `UDPSocket.send` uses, copying
    /// the bytes. The outer error: the script threw or did not compile; the inner one:
    /// the error event `send` would emit.
    pub fn send_options_from_script(js_source: &str) -> Result<Result<Sent, Error>, String> {
        let rt = Runtime::new().map_err(|e| e.to_string())?;
        rt.set_memory_limit(SCRIPT_MEMORY);
        let deadline = Instant::now() + SCRIPT_TIME;
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
        let context = Context::full(&rt).map_err(|e| e.to_string())?;
        context.with(|ctx| {
            let value: Value<'_> = ctx.eval(js_source).catch(&ctx).map_err(|e| e.to_string())?;
            let mut sent = None;
            let result =
                crate::runtime::convert::with_send_options(Method::Send, &value, |options| {
                    sent = Some(Sent {
                        address: options.address().to_owned(),
                        port: options.port(),
                        bytes: options.bytes(Method::Send)?.to_vec(),
                        set_broadcast: options.broadcast(),
                    });
                    Ok(())
                });
            Ok(result.and_then(|()| {
                sent.ok_or_else(|| Error::InvalidArgument {
                    method: Method::Send,
                    reason: "nothing was sent".into(),
                })
            }))
        })
    }
}

/// Runs the script at `path` until nothing is left to do and returns the exit status
/// (`EXIT_*`): `wxudp run`.
///
/// The run ends when no timer is pending, no socket is open and no event or job is
/// waiting (docs/CONTRACT.md §7), or when [`RunOptions::timeout`] or a signal ends it.
/// It runs on the calling thread, with a current-thread tokio runtime of its own, and
/// catches SIGINT, SIGTERM and SIGHUP while it runs. Its directory is the package root
/// that `require` may read from. What the script prints goes to stdout and stderr.
///
/// # Errors
/// None as a `Result`: every failure is an exit status. [`EXIT_ERROR`] for a script
/// that cannot be read, a syntax error, or an exception nothing caught (at the top
/// level, in a listener, a timer or a promise); [`EXIT_TIMEOUT`] and the signals'
/// statuses when the run was cut short.
///
/// # Examples
/// A script that sends a datagram to itself on loopback and closes its socket when it
/// arrives: the run then ends by itself.
/// ```
/// use std::time::Duration;
/// use wxudp_js::{run, RunOptions, EXIT_OK};
/// let path = std::env::temp_dir().join(format!("wxudp-doc-{}.js", std::process::id()));
/// std::fs::write(&path, r"
///     const udp = wx.createUDPSocket();
///     udp.onMessage(function (res) {
///         const text = new TextDecoder().decode(res.message);
///         if (text !== 'ping' || res.remoteInfo.family !== 'IPv4') throw new Error(text);
///         udp.close();
///     });
///     const port = udp.bind();
///     udp.send({ address: '127.0.0.1', port: port, message: 'ping' });
/// ").unwrap();
/// let options = RunOptions { timeout: Some(Duration::from_secs(30)), ..RunOptions::default() };
/// let code = run(&path, &options);
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(code, EXIT_OK);
/// ```
pub fn run(path: &Path, options: &RunOptions) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wxudp: cannot start the event loop: {e}");
            return EXIT_ERROR;
        }
    };
    package::transform::SOURCE_MAPS.with(|maps| maps.borrow_mut().clear());
    let observer = match observe::Observer::new(options) {
        Ok(observer) => observer,
        Err(e) => {
            eprintln!("wxudp: {e}");
            return EXIT_ERROR;
        }
    };
    let code = runtime.block_on(runtime::event_loop::run(path, options, &observer));
    // A host-name lookup still running on the blocking pool (a DNS server that does not
    // answer) must not hold the run past its end: dropping the runtime would wait for it.
    runtime.shutdown_background();
    observer.finish(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_follows_the_base_library() {
        let mut o = RunOptions::default();
        assert_eq!(o.policy(), Policy::Any);
        o.base_library = "2.9.3".parse().unwrap();
        o.udp_domains = vec!["dev.example".into()];
        assert_eq!(o.policy(), Policy::same_subnet(["dev.example"]));
        o.base_library = "2.9.4".parse().unwrap();
        assert_eq!(o.policy(), Policy::Any);
    }
}
