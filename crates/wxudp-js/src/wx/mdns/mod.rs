//! `wx.startLocalServiceDiscovery`: mDNS / DNS-SD through mdns-sd (its daemon runs on
//! a thread of its own, started at the first search). One search at a time, as in
//! WeChat; its results reach mdns.js as completions: each service resolved (`found`,
//! with its first IPv4 address and port), each one gone (`lost`), and the end of the
//! search (`stop`: by `stopLocalServiceDiscovery`, or by itself after [`SEARCH_TIME`]).
//!
//! mDNS is multicast: tests and examples search only inside network namespaces
//! (`wxudp lan`), never on the host's network.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceEvent};
use rquickjs::{Ctx, Exception, Function, Object};
use tokio::sync::oneshot;

use crate::runtime::convert::JsText;
use crate::runtime::host::Shared;

/// A search stops by itself after 30 s, as WeChat's.
pub(crate) const SEARCH_TIME: Duration = Duration::from_secs(30);

/// The mDNS state of a run.
#[derive(Default)]
pub(crate) struct Mdns {
    daemon: RefCell<Option<ServiceDaemon>>,
    /// The running search: what stops it.
    search: RefCell<Option<oneshot::Sender<()>>>,
}

impl Drop for Mdns {
    fn drop(&mut self) {
        if let Some(daemon) = self.daemon.borrow_mut().take() {
            let _ = daemon.shutdown();
        }
    }
}

/// `_http._tcp.` (WeChat's form) as mdns-sd's `_http._tcp.local.`.
fn domain(service_type: &str) -> String {
    let t = service_type.trim_end_matches('.');
    if t.ends_with(".local") {
        format!("{t}.")
    } else {
        format!("{t}.local.")
    }
}

/// The instance name of a full name: `Desk lamp._lamp._udp.local.` → `Desk lamp`.
fn instance(fullname: &str, domain: &str) -> String {
    fullname
        .strip_suffix(domain)
        .map(|n| n.trim_end_matches('.'))
        .unwrap_or(fullname)
        .replace("\\.", ".")
}

impl Mdns {
    fn start(
        &self,
        service_type: &str,
        events: crate::runtime::tasks::Sender,
    ) -> Result<(), String> {
        if self.daemon.borrow().is_none() {
            let daemon = ServiceDaemon::new().map_err(|e| e.to_string())?;
            *self.daemon.borrow_mut() = Some(daemon);
        }
        let daemon = self.daemon.borrow().clone().ok_or("no mDNS daemon")?;
        let ty = domain(service_type);
        let receiver = daemon.browse(&ty).map_err(|e| e.to_string())?;
        let (stop_tx, mut stop_rx) = oneshot::channel();
        *self.search.borrow_mut() = Some(stop_tx);
        let shown = service_type.to_string();
        tokio::spawn(async move {
            let deadline = tokio::time::sleep(SEARCH_TIME);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => break,
                    _ = &mut stop_rx => break,
                    event = receiver.recv_async() => match event {
                        Ok(ServiceEvent::ServiceResolved(info)) => {
                            let Some(ip) = info
                                .get_addresses_v4()
                                .into_iter()
                                .min()
                                .map(IpAddr::V4)
                                .or_else(|| info.get_addresses().iter().next().map(|a| a.to_ip_addr()))
                            else {
                                continue;
                            };
                            let (name, port, t) = (instance(info.get_fullname(), &ty), info.get_port(), shown.clone());
                            events.send(false, move |ctx| {
                                let o = Object::new(ctx.clone())?;
                                o.set("type", "found")?;
                                o.set("serviceType", t)?;
                                o.set("serviceName", name)?;
                                o.set("ip", ip.to_string())?;
                                o.set("port", port)?;
                                Ok(o.into_value())
                            });
                        }
                        Ok(ServiceEvent::ServiceRemoved(_, fullname)) => {
                            let (name, t) = (instance(&fullname, &ty), shown.clone());
                            events.send(false, move |ctx| {
                                let o = Object::new(ctx.clone())?;
                                o.set("type", "lost")?;
                                o.set("serviceType", t)?;
                                o.set("serviceName", name)?;
                                Ok(o.into_value())
                            });
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    },
                }
            }
            let _ = daemon.stop_browse(&ty);
            events.send(true, |ctx| {
                let o = Object::new(ctx.clone())?;
                o.set("type", "stop")?;
                Ok(o.into_value())
            });
        });
        Ok(())
    }

    /// Stops the running search (its `stop` completion follows); `false` when none runs.
    fn stop(&self) -> bool {
        match self.search.borrow_mut().take() {
            Some(stop) => {
                let _ = stop.send(());
                true
            }
            None => false,
        }
    }

    /// The search ended (by itself or stopped).
    fn ended(&self) {
        self.search.borrow_mut().take();
    }
}

/// Adds `N.mdnsStart(serviceType, callback)` (throws the reason it cannot start),
/// `N.mdnsStop()` (whether a search was running) and `N.mdnsEnded()`.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, n: &Object<'js>, host: &Shared) -> rquickjs::Result<()> {
    let mdns = Rc::new(Mdns::default());
    let (h, m) = (host.clone(), mdns.clone());
    n.set(
        "mdnsStart",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  JsText(service_type): JsText,
                  callback: Function<'js>|
                  -> rquickjs::Result<()> {
                let sender = h.borrow_mut().tasks.register(&ctx, callback);
                let id = sender.id();
                m.start(&service_type, sender).map_err(|e| {
                    h.borrow_mut().tasks.cancel(id);
                    Exception::throw_message(&ctx, &e)
                })
            },
        )?,
    )?;
    let m = mdns.clone();
    n.set("mdnsStop", Function::new(ctx.clone(), move || m.stop())?)?;
    let m = mdns;
    n.set("mdnsEnded", Function::new(ctx.clone(), move || m.ended())?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_types_and_names_read_as_wechat_s() {
        assert_eq!(domain("_http._tcp."), "_http._tcp.local.");
        assert_eq!(domain("_lamp._udp"), "_lamp._udp.local.");
        assert_eq!(domain("_lamp._udp.local."), "_lamp._udp.local.");
        assert_eq!(
            instance("Desk lamp._lamp._udp.local.", "_lamp._udp.local."),
            "Desk lamp"
        );
        assert_eq!(instance("v1\\.2._x._tcp.local.", "_x._tcp.local."), "v1.2");
    }
}
