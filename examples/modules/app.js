// A mini program split into CommonJS modules, as real projects are:
// `require('./utils/udp.js')` returns a small UDP client class.
//
// Run: wxudp run examples/modules/app.js

const { UdpClient } = require('./utils/udp.js');
const config = require('./config.json');

// A stand-in for the device: answers "AT" commands with "OK".
const device = wx.createUDPSocket();
const devicePort = device.bind();
device.onMessage(function (res) {
  const cmd = new TextDecoder().decode(res.message).trim();
  device.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: cmd + '\r\nOK\r\n' });
});

const client = new UdpClient({ host: config.host, port: devicePort });
client.request('AT+GMR').then(function (reply) {
  console.log('device replied:', JSON.stringify(reply));
  return client.request('AT+CWMODE=1');
}).then(function (reply) {
  console.log('device replied:', JSON.stringify(reply));
}).finally(function () {
  client.close();
  device.close();
});
