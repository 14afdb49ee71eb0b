// udp6: an IPv6 socket on ::1. udp6 sockets are dual-stack, so an IPv4 peer shows up as
// ::ffff:127.0.0.1 with family IPv6.
//
// Run: wxudp run examples/udp6.js

const server = wx.createUDPSocket('udp6');
const port = server.bind();
let heard = 0;
server.onMessage(function (res) {
  console.log('server heard', JSON.stringify(new TextDecoder().decode(res.message)),
    'from', res.remoteInfo.address, res.remoteInfo.family, 'on', res.localInfo.address);
  server.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: 'pong' });
  if (++heard === 2) {
    clearTimeout(watchdog);
    server.close();
  }
});

const six = wx.createUDPSocket('udp6');
six.onMessage(function (res) {
  console.log('udp6 client got', new TextDecoder().decode(res.message), 'from [' + res.remoteInfo.address + ']:' + res.remoteInfo.port);
  six.close();
});
six.send({ address: '::1', port: port, message: 'ping over IPv6' });

const four = wx.createUDPSocket('udp4');
four.onMessage(function (res) {
  console.log('udp4 client got', new TextDecoder().decode(res.message), 'from', res.remoteInfo.address);
  four.close();
});
four.send({ address: '127.0.0.1', port: port, message: 'ping over IPv4' });

const watchdog = setTimeout(function () {
  server.close(); six.close(); four.close();
  throw new Error('the udp6 server did not hear both clients');
}, 10000);
