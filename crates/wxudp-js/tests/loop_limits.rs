//! The event loop under odd or heavy input: timer delays out of range, thousands of
//! busy timers beside a socket, tens of thousands of promise rejections. Each script
//! throws (exit status 1) when something is wrong; the generous `--timeout` only turns a
//! hang into a failure, it is never what a test measures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Script;
use wxudp_js::EXIT_OK;

/// Far longer than any of these scripts needs, even in a debug build on a busy machine.
const DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn a_delay_too_large_for_a_duration_means_one_ms() {
    let script = Script::new(
        "huge-delay",
        r#"
let fired = 0;
setTimeout(() => { fired++; }, 1e300);
const iv = setInterval(() => { fired++; clearInterval(iv); }, 1e300);
// Due later than both (whatever the clock does), so it sees them fired.
setTimeout(() => { if (fired !== 2) throw new Error('fired ' + fired); }, 50);
"#,
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn odd_delays_follow_node() {
    // NaN, negative, below 1 and above 2^31-1 ms all mean 1 ms; a delay at the maximum
    // is kept (and so has not fired when the script ends).
    let script = Script::new(
        "odd-delays",
        r#"
const fired = [];
const odd = [1e19, 2 ** 31, Infinity, -Infinity, NaN, undefined, null, -5, 0, 0.5, '7', 'soon', {}, [], true];
odd.forEach((ms, i) => setTimeout(() => fired.push(i), ms));
const longest = setTimeout(() => { throw new Error('the 2^31-1 ms timer fired'); }, 2 ** 31 - 1);
let threw = '';
try { setTimeout(() => {}, 1n); } catch (e) { threw = e.constructor.name; }
if (threw !== 'TypeError') throw new Error('a BigInt delay: ' + threw);
function check() {
  if (fired.length < odd.length) { setTimeout(check, 1); return; }
  clearTimeout(longest);
  console.log('every odd delay fired');
}
setTimeout(check, 1);
"#,
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn fractional_delays_are_truncated() {
    // Node truncates 1.9 ms to 1 ms: due no later than the 1 ms timer created after it,
    // it runs first (equal deadlines run in creation order).
    let script = Script::new(
        "fractions",
        r#"
const order = [];
setTimeout(() => order.push('1.9'), 1.9);
setTimeout(() => order.push('1'), 1);
setTimeout(() => { if (order.join() !== '1.9,1') throw new Error('order ' + order.join()); }, 20);
"#,
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn clearing_timers_inside_their_callbacks_and_after_they_fired() {
    let script = Script::new(
        "clear",
        r#"
let ticks = 0;
const iv = setInterval(() => { ticks++; clearInterval(iv); }, 0);
const once = setTimeout(() => { clearTimeout(once); }, 0);
const fired = setTimeout(() => {}, 0);
setTimeout(() => {
  clearTimeout(fired);
  clearTimeout(fired);
  clearInterval(12345678);
  clearTimeout('nonsense');
  clearTimeout();
  setTimeout(() => { if (ticks !== 1) throw new Error('ticks ' + ticks); }, 20);
}, 5);
"#,
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn a_thousand_busy_intervals_do_not_starve_a_socket() {
    let script = Script::new(
        "busy-intervals",
        r#"
let ticks = 0;
const intervals = [];
for (let i = 0; i < 1000; i++) intervals.push(setInterval(() => { ticks++; }, 0));
const s = wx.createUDPSocket();
const port = s.bind();
s.onMessage((res) => {
  console.log('the datagram arrived after ' + ticks + ' interval ticks');
  intervals.forEach(clearInterval);
  s.close();
});
// Send once the intervals are well under way.
setTimeout(() => s.send({ address: '127.0.0.1', port: port, message: 'through' }), 5);
"#,
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn fifty_thousand_late_handled_rejections() {
    let script = Script::new(
        "rejections",
        r#"
const promises = [];
for (let i = 0; i < 50000; i++) promises.push(Promise.reject(new Error('r' + i)));
let caught = 0;
// Handled in the same turn, newest first (the worst order for a list scan).
for (let i = promises.length - 1; i >= 0; i--) promises[i].catch(() => { caught++; });
setTimeout(() => { if (caught !== 50000) throw new Error('caught ' + caught); }, 1);
"#,
    );
    assert_eq!(script.run(DEADLINE), EXIT_OK);
}

#[test]
fn a_rejection_still_unhandled_after_its_turn_is_reported() {
    let script = Script::new(
        "late-rejection",
        r#"
const p = Promise.reject(new Error('handled too late'));
Promise.reject(new Error('handled in time')).catch(() => {});
setTimeout(() => { p.catch(() => {}); }, 1);
"#,
    );
    assert_eq!(script.run(DEADLINE), wxudp_js::EXIT_ERROR);
}
