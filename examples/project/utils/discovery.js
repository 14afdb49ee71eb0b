// Broadcast discovery (CommonJS): send the probe to the broadcast address, collect
// the answers for `ms` milliseconds, then close the socket.
// On a phone the probe goes to 255.255.255.255 or x.y.z.255; here to the loopback
// broadcast address 127.255.255.255.
const BROADCAST = '127.255.255.255';

function discover(options) {
  const udp = wx.createUDPSocket();
  const found = [];
  udp.onMessage(function (res) {
    console.log('reply', res);
    const device = options.parse(res.message, res.remoteInfo.address, res.remoteInfo.port);
    if (device && !found.some(function (d) { return d.id === device.id; })) {
      found.push(device);
      options.onDevice(device, found);
    }
  });
  udp.onError(function (err) {
    console.error('discovery failed:', err.errMsg);
  });
  udp.bind();
  udp.send({ address: BROADCAST, port: options.port, message: options.probe, setBroadcast: true });
  setTimeout(function () {
    udp.close();
    options.onDone(found);
  }, options.ms);
}

module.exports = { discover: discover };
