//! The state the native functions and the event loop share: the sockets, and the
//! run's timers, storage, stop conditions and exit status. It lives in an `Rc<RefCell<_>>` on the JS thread; no
//! borrow is held while JavaScript runs.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use wxudp::frontend::Delivery;
use wxudp::Limits;

use crate::observe::Observer;
use crate::package::project::Project;
use crate::runtime::stop::Stop;
use crate::runtime::tasks::{JsFunction, Tasks};
use crate::runtime::timers::{SharedTimers, Timers};
use crate::wx::udp::sockets::Sockets;
use crate::RunOptions;

/// The shared state, as the natives capture it.
pub(crate) type Shared = Rc<RefCell<Host>>;

pub(crate) struct Host {
    pub(crate) sockets: Sockets,
    /// The run's timers (shared with the natives of `setTimeout` and the rest).
    pub(crate) timers: SharedTimers,
    /// Callbacks waiting for work on tokio (HTTP requests, mDNS searches).
    pub(crate) tasks: Tasks,
    /// 1 once an exception went unhandled; the run goes on and exits with it.
    pub(crate) exit_code: i32,
    pub(crate) base_library: crate::BaseLibrary,
    /// Ctrl-C and `--timeout`, which end a run even in the middle of JavaScript.
    pub(crate) stop: Stop,
    /// What the run runs: a script, a mini program or a mini game.
    pub(crate) project: Project,
    /// `--trace`, `--pcap`, `--report`.
    pub(crate) observer: Arc<Observer>,
    /// The prelude's function that describes the pages (for the report).
    pub(crate) pages_reporter: Option<JsFunction>,
    pub(crate) platform: crate::Platform,
    /// `--wifi`: the default network's SSID, `None` for Wi-Fi off (wx/wifi).
    pub(crate) wifi_ssid: Option<String>,
}

impl Host {
    pub(crate) fn new(
        options: &RunOptions,
        project: Project,
        observer: Arc<Observer>,
        events: UnboundedSender<(u64, Delivery)>,
        tasks: Tasks,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, String> {
        let stop = Stop::new(options.timeout);
        // Each run has receive and send pools of its own; a second signal or the deadline ends
        // the wait of `close()` for the kernel at once.
        let limits = Limits::default()
            .with_receive_buffer(options.receive_buffer)
            .with_receive_total(options.receive_total)
            .with_send_buffer(options.send_buffer)
            .with_send_total(options.send_total)
            .with_memory_total(options.native_memory)
            .with_close_abort_when(stop.stop_now());
        let timers = Timers::new(limits.clone());
        let mut sockets = Sockets::new(events, runtime, options.policy(), limits);
        sockets.observer = Some(observer.clone());
        Ok(Host {
            sockets,
            timers: Rc::new(RefCell::new(timers)),
            tasks,
            exit_code: 0,
            base_library: options.base_library,
            stop,
            project,
            observer,
            pages_reporter: None,
            platform: options.platform,
            wifi_ssid: options.wifi.clone(),
        })
    }

    /// Whether any socket is bound and not closed.
    pub(crate) fn has_open_socket(&self) -> bool {
        self.sockets.any_open()
    }

    /// Closes every socket (Ctrl-C, timeout, a fatal error).
    pub(crate) fn close_all(&self) {
        self.sockets.close_all();
    }
}
