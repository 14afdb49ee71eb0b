// Every form of send real apps use (docs/CONTRACT.md §9; §2 send).
const { assert, eq, next, collect, until, run, text, bytes } = require('./harness.js');

// The npm `buffer` polyfill's Buffer is a Uint8Array subclass.
class Buffer extends Uint8Array {
  static from(arr) { const b = new Buffer(arr.length); b.set(arr); return b; }
  toString() { return 'Buffer'; }
}

run(async function () {
  const rx = wx.createUDPSocket();
  const port = rx.bind();
  const got = collect(rx, 'Message');
  const tx = wx.createUDPSocket();
  const errors = collect(tx, 'Error');

  const sends = [
    // [option, expected bytes]
    [{ message: 'AT+CWJAP="ssid","pw"\r\n' }, Array.from(new TextEncoder().encode('AT+CWJAP="ssid","pw"\r\n'))],
    [{ message: '中文 ✓' }, Array.from(new TextEncoder().encode('中文 ✓'))],
    [{ message: JSON.stringify({ cmd: 'scan', id: 7 }) }, Array.from(new TextEncoder().encode('{"cmd":"scan","id":7}'))],
    [{ message: 'text ignores offset', offset: 5, length: 2 }, Array.from(new TextEncoder().encode('text ignores offset'))],
    [{ message: new Uint8Array([1, 2, 3, 4]).buffer }, [1, 2, 3, 4]],
    [{ message: new Uint8Array([1, 2, 3, 4]).buffer, offset: 1, length: 2 }, [2, 3]],
    [{ message: new Uint8Array([1, 2, 3, 4]).buffer, offset: 4 }, []],
    [{ message: new Uint8Array([9, 8, 7]) }, [9, 8, 7]],
    [{ message: new Uint8Array(new Uint8Array([0, 1, 2, 3, 4, 5]).buffer, 2, 3) }, [2, 3, 4]],
    [{ message: new Uint8Array(new Uint8Array([0, 1, 2, 3, 4, 5]).buffer, 2, 3), offset: 1, length: 1 }, [3]],
    [{ message: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }, [0xde, 0xad, 0xbe, 0xef]],
    [{ message: new DataView(new Uint8Array([5, 6, 7, 8]).buffer, 1, 2) }, [6, 7]],
    [{ message: new Uint16Array([0x0102]) }, [2, 1]],
    // Port as a digit string, unknown keys, setBroadcast.
    [{ message: 'string port', port: String(port) }, Array.from(new TextEncoder().encode('string port'))],
    [{ message: 'extra keys', success() {}, fail() {}, family: 'IPv4' }, Array.from(new TextEncoder().encode('extra keys'))],
    [{ message: 'broadcast flag', setBroadcast: true }, Array.from(new TextEncoder().encode('broadcast flag'))],
    [{ message: 'by host name', address: 'localhost' }, Array.from(new TextEncoder().encode('by host name'))],
  ];
  for (const [opt, _] of sends) {
    tx.send(Object.assign({ address: '127.0.0.1', port: port }, opt));
  }
  await until(() => got.length === sends.length, 'every datagram');
  sends.forEach(([_, expected], i) => eq(bytes(got[i].message), expected, 'send #' + i));
  eq(errors.length, 0, 'no errors');

  // An ArrayBuffer pool with a moving offset, overwritten right after each send.
  const pool = new Uint8Array(16);
  const before = got.length;
  for (let i = 0; i < 4; i++) {
    pool.set([i, i + 1, i + 2], i * 3);
    tx.send({ address: '127.0.0.1', port: port, message: pool.buffer, offset: i * 3, length: 3 });
    pool.fill(0xff); // the bytes were copied at call time
  }
  await until(() => got.length === before + 4, 'pool datagrams');
  for (let i = 0; i < 4; i++) eq(bytes(got[before + i].message), [i, i + 1, i + 2], 'pool #' + i);

  // A string with a lone surrogate (JavaScript allows it, UTF-8 does not) goes out as
  // TextEncoder encodes it: U+FFFD in its place, never an empty datagram.
  const surrogates = got.length;
  tx.send({ address: '127.0.0.1', port: port, message: 'a\ud800b\udc00' });
  await until(() => got.length === surrogates + 1, 'the surrogate datagram');
  const replacement = [0x61, 0xef, 0xbf, 0xbd, 0x62, 0xef, 0xbf, 0xbd];
  eq(bytes(got[surrogates].message), replacement, 'lone surrogates as U+FFFD');
  eq(Array.from(new TextEncoder().encode('a\ud800b\udc00')), replacement, 'TextEncoder agrees');

  // send without bind: implicit bind, listening follows, replies reach onMessage.
  const lone = wx.createUDPSocket();
  const listening = next(lone, 'Listening');
  const reply = next(lone, 'Message');
  const request = next(rx, 'Message');
  lone.send({ address: '127.0.0.1', port: port, message: 'M-SEARCH * HTTP/1.1\r\n' });
  eq(await listening, { errMsg: 'bind:ok' }, 'implicit bind listening');
  const req = await request;
  rx.send({ address: req.remoteInfo.address, port: req.remoteInfo.port, message: 'HTTP/1.1 200 OK' });
  eq(text((await reply).message), 'HTTP/1.1 200 OK', 'reply to an unbound sender');

  for (const s of [rx, tx, lone]) s.close();
});
