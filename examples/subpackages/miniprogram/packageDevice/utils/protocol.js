// The lamp's text protocol: one command per datagram, the state as "lamp on|off".
module.exports = {
  parse: function (buffer) {
    return new TextDecoder().decode(buffer).trim();
  },
  state: function (on) {
    return 'lamp ' + (on ? 'on' : 'off');
  },
};
