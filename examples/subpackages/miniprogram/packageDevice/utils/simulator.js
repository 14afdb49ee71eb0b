// A lamp on loopback (in the subpackage): answers "status?" with its state and
// "on"/"off" by switching, and goes quiet after it was switched on.
const protocol = require('./protocol.js');

function startLamp() {
  const udp = wx.createUDPSocket();
  let on = false;
  const port = udp.bind();
  udp.onMessage(function (res) {
    const command = protocol.parse(res.message);
    if (command === 'on' || command === 'off') on = command === 'on';
    udp.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: protocol.state(on) });
    if (on) udp.close();
  });
  return port;
}

module.exports = { startLamp: startLamp };
