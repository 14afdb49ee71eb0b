// utils/util.js as mini-program projects have it.
function ab2str(buffer) {
  return decodeURIComponent(escape(String.fromCharCode.apply(null, new Uint8Array(buffer))));
}

function formatTime(date) {
  const pad = n => (n < 10 ? '0' + n : '' + n);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map(pad).join(':');
}

module.exports = { ab2str, formatTime };
