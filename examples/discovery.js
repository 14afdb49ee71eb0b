// Device discovery by broadcast, the way ESP8266/ESP32 and gateway apps do it: send a
// probe to the broadcast address, collect the devices that answer.
//
// On a phone the probe goes to 255.255.255.255 or x.y.z.255; here it goes to the
// loopback broadcast address 127.255.255.255, and two "devices" in this same script
// answer it.
//
// Run: wxudp run examples/discovery.js

const DISCOVERY_PORT = (function () {
  const probe = wx.createUDPSocket();
  const port = probe.bind();
  probe.close();
  return port;
})();

// Two devices. Real devices are separate hosts that all listen on the discovery port;
// in one script only one socket can own that port, so the first device listens and
// both answer, each from its own socket.
const devices = ['esp8266-a1b2', 'esp32-c3d4'].map(function (name) {
  return { name: name, sock: wx.createUDPSocket() };
});
devices[0].sock.bind(DISCOVERY_PORT);
devices[0].sock.onMessage(function (res) {
  const probe = new TextDecoder().decode(res.message);
  if (probe !== 'DISCOVER') return;
  devices.forEach(function (d) {
    const reply = JSON.stringify({ device: d.name, mac: d.name.slice(-4) });
    d.sock.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: reply });
  });
});

// The mini program: broadcast a probe, gather answers for a moment.
const found = {};
const app = wx.createUDPSocket();
app.onMessage(function (res) {
  const info = JSON.parse(new TextDecoder().decode(res.message));
  found[info.device] = res.remoteInfo.address + ':' + res.remoteInfo.port;
  console.log('found', info.device, 'at', found[info.device]);
  if (Object.keys(found).length === devices.length) finish();
});
app.onError(function (err) { console.error('discovery error', err); });
app.bind();
app.send({ address: '127.255.255.255', port: DISCOVERY_PORT, message: 'DISCOVER', setBroadcast: true });
console.log('probe sent to 127.255.255.255:' + DISCOVERY_PORT);

const watchdog = setTimeout(function () {
  finish();
  throw new Error('not every device answered: ' + JSON.stringify(found));
}, 10000);

function finish() {
  clearTimeout(watchdog);
  app.close();
  devices.forEach(function (d) { d.sock.close(); });
  console.log('discovered', Object.keys(found).length, 'devices');
}
