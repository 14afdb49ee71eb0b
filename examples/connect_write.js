// connect + write with setTTL, as the official Unity mini-game bridge uses the socket:
// connect to the game server once, then write each frame (address and port are still
// passed, as WeChat requires).
//
// Run: wxudp run examples/connect_write.js

const FRAMES = 5;

// A tiny game server that acknowledges each frame.
const server = wx.createUDPSocket();
const serverPort = server.bind();
server.onMessage(function (res) {
  const frame = new DataView(res.message).getUint32(0); // big-endian frame number
  const ack = new DataView(new ArrayBuffer(4));
  ack.setUint32(0, frame);
  server.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: ack.buffer });
});

const client = wx.createUDPSocket();
client.onError(function (err) { console.error('client error', err); });
client.connect({ address: '127.0.0.1', port: serverPort }); // binds implicitly
client.setTTL(64);

const acked = [];
client.onMessage(function (res) {
  acked.push(new DataView(res.message).getUint32(0));
  if (acked.length === FRAMES) {
    clearTimeout(watchdog);
    console.log('acknowledged frames', acked.join(', '));
    client.close();
    server.close();
  }
});

const frame = new DataView(new ArrayBuffer(4));
for (let i = 1; i <= FRAMES; i++) {
  frame.setUint32(0, i);
  client.write({ address: '127.0.0.1', port: serverPort, message: frame.buffer });
}
console.log('wrote', FRAMES, 'frames to 127.0.0.1:' + serverPort, 'with TTL 64');

const watchdog = setTimeout(function () {
  client.close();
  server.close();
  throw new Error('only ' + acked.length + ' of ' + FRAMES + ' frames were acknowledged');
}, 10000);
