//! How events reach the loader: `next` hands over the queued events one at a time, as
//! numbers and values the loader reads (its `dispatch`), and `fill` copies a message's
//! bytes into an ArrayBuffer of the loader's realm.

use std::sync::atomic::Ordering;

use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;
use wxudp::frontend::Delivery;
use wxudp::{Event, EventKind, Message};

use crate::js::{Cx, Val};
use crate::state::{with_addon, Addon, Queue};

/// How the loader numbers an event's kind.
fn kind_code(kind: EventKind) -> u32 {
    match kind {
        EventKind::Message => 0,
        EventKind::Error => 1,
        EventKind::Listening => 2,
        EventKind::Close => 3,
    }
}

/// The kind the loader numbers `code`.
pub(crate) fn kind_of(code: u32) -> Option<EventKind> {
    match code {
        0 => Some(EventKind::Message),
        1 => Some(EventKind::Error),
        2 => Some(EventKind::Listening),
        3 => Some(EventKind::Close),
        _ => None,
    }
}

/// Record kind of a drained event that only tells that its socket is no longer live.
const SETTLED: u32 = 4;

/// Events dispatched per wake at most; the rest wait for the next turn of the loop, so a
/// flood cannot starve timers.
const BATCH: u32 = 1024;

/// Hands the loader the next queued event, the `n`th of this wake: writes it to `nums`
/// (a `Float64Array`) and `refs` (an array) and returns its kind, or -1 when none is left
/// (or `n` reached the batch, and the loop is woken again for the rest).
///
/// `nums`: the socket id, the kind, whether the socket is still live (1) or not (0), the
/// one listener slot registered now (or -1: several, in `refs[0]`), the remote port, the
/// local port, the families (bit 0 remote, bit 1 local: IPv6, as [`wxudp::family_name`]
/// says), the remote and the local address as a 32-bit number when they are IPv4 (else
/// -1, and the text is in `refs[2]`, `refs[3]`), and an error's errCode. `refs`: the
/// slots when several, the message's ArrayBuffer (its size when the loader makes it),
/// the addresses' text, an error's errMsg. The listener slots are the snapshot of this
/// dispatch: the ones registered when it starts.
///
/// Each event passes [`Delivery::accept`] here, at its dispatch: a message received
/// before `close()` is discarded then. An event nobody listens to is skipped, unless its
/// socket stops being live (kind 4), so that the loader lets the socket go.
#[napi]
pub fn next(env: Env, host: u32, nums: Unknown<'_>, refs: Unknown<'_>, n: u32) -> i32 {
    let cx = Cx::new(&env);
    let (nums, refs) = (Val::from_unknown(&nums), Val::from_unknown(&refs));
    let Some((queue, foreign)) =
        with_addon(|a| a.hosts.get(&host).map(|h| (h.queue.clone(), h.foreign)))
    else {
        return -1;
    };
    if n >= BATCH {
        // The rest at the next turn of the loop, so that a flood cannot starve timers.
        let left = with_addon(|a| a.hosts.get(&host).is_some_and(|h| !h.batch.is_empty()));
        let mut p = queue.lock();
        if left || !p.events.is_empty() {
            p.force_wake();
        } else {
            p.scheduled = false;
        }
        return -1;
    }
    let mut num = [0f64; NUMS];
    loop {
        let Some((id, delivery)) = pop(host, &queue) else {
            return -1;
        };
        let event = delivery.accept();
        let (count, slot, multi, live) = snapshot(host, id, event.as_ref());
        num[0] = f64::from(id);
        num[2] = f64::from(u8::from(live));
        let event = match event {
            Some(event) if count > 0 => event,
            _ if !live => {
                num[1] = f64::from(SETTLED);
                cx.write_f64s(nums, &num);
                return SETTLED as i32;
            }
            _ => continue,
        };
        let kind = kind_code(event.kind());
        num[1] = f64::from(kind);
        match multi {
            None => num[3] = f64::from(slot),
            Some(slots) => {
                num[3] = -1.0;
                let arr = cx.array();
                for (i, slot) in (0u32..).zip(&slots) {
                    cx.set(arr, i, cx.num(f64::from(*slot)));
                }
                cx.set(refs, 0, arr);
            }
        }
        match event {
            Event::Message(m) => write_message(cx, host, foreign, refs, &mut num, m),
            Event::Error(e) => {
                cx.set(refs, 4, cx.str(&e.to_string()));
                num[9] = f64::from(e.code());
            }
            // No payload beyond the kind (and kinds the loader does not know yet).
            _ => {}
        }
        cx.write_f64s(nums, &num);
        return kind as i32;
    }
}

/// Numbers `next` writes per event.
const NUMS: usize = 10;

/// Copies the bytes of the message `next` handed over last into `buffer`, an
/// ArrayBuffer of their size the loader made in its own realm.
#[napi]
pub fn fill(env: Env, host: u32, buffer: Unknown<'_>) {
    let cx = Cx::new(&env);
    let message = with_addon(|a| {
        a.hosts
            .get_mut(&host)
            .map(|h| std::mem::take(&mut h.message))
    });
    if let Some(message) = message {
        cx.copy_into(Val::from_unknown(&buffer), &message);
    }
}

/// The next event queued for loader `host`: from the batch taken last, else from
/// everything queued by now, taken under one lock (the buffer emptied last time goes back
/// to the queue). `None` when nothing is left: the wake is over.
fn pop(host: u32, queue: &Queue) -> Option<(u32, Delivery)> {
    let item = with_addon(|a| a.hosts.get_mut(&host).and_then(|h| h.batch.pop_front()));
    if item.is_some() {
        return item;
    }
    let mut spare = with_addon(|a| {
        a.hosts
            .get_mut(&host)
            .map(|h| std::mem::take(&mut h.batch))
            .unwrap_or_default()
    });
    let mut p = queue.lock();
    if p.events.is_empty() {
        p.scheduled = false;
        return None;
    }
    std::mem::swap(&mut p.events, &mut spare);
    drop(p);
    let mut taken = spare;
    // Not empty: the queue was not.
    let first = taken.pop_front();
    with_addon(|a| {
        if let Some(h) = a.hosts.get_mut(&host) {
            h.batch = taken;
        }
    });
    first
}

/// The listener snapshot of this dispatch of an event of socket `id` (taken into the
/// loader's buffer): how many, the first slot, all of them when several; and whether the
/// socket is still live after it.
fn snapshot(host: u32, id: u32, event: Option<&Event>) -> (usize, u32, Option<Vec<u32>>, bool) {
    with_addon(|a| {
        let Addon { hosts, sockets, .. } = a;
        let (Some(s), Some(h)) = (sockets.get(&id), hosts.get_mut(&host)) else {
            return (0, 0, None, false);
        };
        s.pending.fetch_sub(1, Ordering::AcqRel);
        h.snapshot.clear();
        if let Some(e) = event {
            s.listeners.snapshot_into(e.kind(), &mut h.snapshot);
        }
        let multi = (h.snapshot.len() > 1).then(|| h.snapshot.clone());
        (
            h.snapshot.len(),
            h.snapshot.first().copied().unwrap_or(0),
            multi,
            s.live(),
        )
    })
}

/// Writes a message's bytes, ports, families and addresses into `num` and `refs`, as
/// [`next`] says.
fn write_message(cx: Cx, host: u32, foreign: bool, refs: Val, num: &mut [f64; NUMS], m: Message) {
    let buffer = if foreign {
        // The loader makes the ArrayBuffer in its own realm and calls `fill`.
        let size = cx.num(m.data.len() as f64);
        with_addon(|a| {
            if let Some(h) = a.hosts.get_mut(&host) {
                h.message = m.data;
            }
        });
        size
    } else {
        cx.array_buffer(&m.data)
    };
    cx.set(refs, 1, buffer);
    num[4] = f64::from(m.remote.port());
    num[5] = f64::from(m.local.port());
    let v6 = |a: &std::net::SocketAddr| wxudp::family_name(a) == "IPv6";
    num[6] = f64::from(u8::from(v6(&m.remote)) | (u8::from(v6(&m.local)) << 1));
    // An IPv4 address as a number, whose text the loader keeps while the peer stays the
    // same; any other as text.
    for (i, addr) in [(7, m.remote), (8, m.local)] {
        num[i] = match addr.ip() {
            std::net::IpAddr::V4(ip) => f64::from(u32::from(ip)),
            ip => {
                cx.set(refs, i as u32 - 5, cx.str(&ip.to_string()));
                -1.0
            }
        };
    }
}
