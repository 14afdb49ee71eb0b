// A device on loopback, for a run without a real one: it answers the probe with its
// id and name, then goes away.
function startSimulatedDevice() {
  const udp = wx.createUDPSocket();
  const port = udp.bind();
  udp.onMessage(function (res) {
    const reply = JSON.stringify({ id: 'sim-01', name: 'Simulated lamp' });
    udp.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: reply });
    udp.close();
  });
  return port;
}

module.exports = { startSimulatedDevice: startSimulatedDevice };
