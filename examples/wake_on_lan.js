// Wake-on-LAN: a magic packet (6 x 0xFF, then the MAC 16 times) sent by broadcast to
// port 9, without bind() first.
//
// A phone sends it to 255.255.255.255:9; here it goes to the loopback broadcast address,
// and a listener in this script checks the packet. (Port 9 needs no privileges to send
// to; the listener binds a free port instead, which the sender is told.)
//
// Run: wxudp run examples/wake_on_lan.js

function magicPacket(mac) {
  const bytes = mac.split(/[:-]/).map(function (h) { return parseInt(h, 16); });
  if (bytes.length !== 6 || bytes.some(isNaN)) throw new Error('bad MAC ' + mac);
  const packet = new Uint8Array(6 + 16 * 6);
  packet.fill(0xff, 0, 6);
  for (let i = 0; i < 16; i++) packet.set(bytes, 6 + i * 6);
  return packet;
}

const MAC = '00:11:22:33:44:55';

// The "sleeping computer".
const nic = wx.createUDPSocket();
const port = nic.bind();
nic.onMessage(function (res) {
  const got = new Uint8Array(res.message);
  const expected = magicPacket(MAC);
  const ok = got.length === expected.length && got.every(function (b, i) { return b === expected[i]; });
  console.log('received', res.remoteInfo.size, 'bytes:', ok ? 'a magic packet for ' + MAC : 'something else');
  clearTimeout(watchdog);
  nic.close();
  if (!ok) throw new Error('not the magic packet');
});

// The app: no bind() before send. (The runtime also takes the port as a string from an
// input box and the packet as a Uint8Array, as many apps pass them; WeChat's typings
// declare a number and an ArrayBuffer, which this example keeps to.)
const wol = wx.createUDPSocket();
wol.onError(function (err) { console.error('send failed', err); });
wol.send({ address: '127.255.255.255', port: port, message: magicPacket(MAC).buffer });
wol.close(); // close right after send: the packet still goes out
console.log('magic packet for', MAC, 'sent to 127.255.255.255:' + port);

const watchdog = setTimeout(function () {
  nic.close();
  throw new Error('the magic packet did not arrive');
}, 10000);
