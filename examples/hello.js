// The WeChat documentation's UDPSocket sample, made runnable on loopback.
//
//   const udp = wx.createUDPSocket()
//   udp.bind()
//   udp.send({ address: '192.168.193.2', port: 8848, message: 'hello, how are you' })
//
// Here a second socket in the script plays the device at the other end and echoes what
// it receives, so the sample talks to 127.0.0.1 instead of a LAN address.
//
// Run: wxudp run examples/hello.js

// The "device": echoes every datagram back to its sender.
const device = wx.createUDPSocket();
device.onMessage(function (res) {
  device.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: res.message });
});
const devicePort = device.bind();

// The mini program's side, as in the documentation.
const udp = wx.createUDPSocket();
udp.onListening(function (res) {
  console.log('onListening:', res);
});
udp.onError(function (res) {
  console.error('onError:', res);
});
udp.onMessage(function (res) {
  clearTimeout(watchdog);
  console.log('onMessage:', new TextDecoder('utf-8').decode(res.message));
  console.log('  remoteInfo:', res.remoteInfo);
  console.log('  localInfo:', res.localInfo);
  udp.close();
  device.close();
});
udp.onClose(function (res) {
  console.log('onClose:', res);
});
const port = udp.bind();
console.log('udp.bind() =', port);
udp.send({ address: '127.0.0.1', port: devicePort, message: 'hello, how are you' });
console.log("udp.send({ address: '127.0.0.1', port: " + devicePort + ", message: 'hello, how are you' })");

const watchdog = setTimeout(function () {
  udp.close();
  device.close();
  throw new Error('no reply within 10 s');
}, 10000);
