// Part of the prelude (wx/mod.rs assembles it): setTimeout / setInterval over the run's timers (runtime/timers.rs).
function timer(repeat) {
  return function (fn, ms) {
    if (typeof fn !== 'function') {
      throw new TypeError('The "callback" argument must be of type function. Received ' + show(fn, false));
    }
    // Coerced as Node does (`after *= 1`: a BigInt throws); the native maps NaN, below 1
    // and above 2^31-1 ms to 1 ms and truncates fractions.
    return N.setTimer(fn, ms * 1, repeat, Array.prototype.slice.call(arguments, 2));
  };
}
global.setTimeout = timer(false);
global.setInterval = timer(true);
global.clearTimeout = global.clearInterval = function (id) {
  if (typeof id === 'number') N.clearTimer(id);
};
