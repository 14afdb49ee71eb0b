// send/write, TextDecoder and arrayBufferToBase64 never read JavaScript memory that a
// getter, a Proxy trap or transfer() freed, moved or shrank: every option is read first,
// then the bytes are copied from the buffer as it is at that moment. Bad ranges are
// errCode -1 error events, never a crash.
const { assert, eq, until, collect, run, bytes } = require('./harness.js');

function pattern(n, seed) {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 7 + seed) & 255;
  return a;
}

run(async function () {
  const rx = wx.createUDPSocket();
  const port = rx.bind();
  const got = collect(rx, 'Message');
  const tx = wx.createUDPSocket();
  const errors = collect(tx, 'Error');
  let sent = 0;
  // Sends `option` to rx; the next datagram rx gets must be `expected`.
  const expectBytes = [];
  function sendOk(option, expected, what) {
    tx.send(Object.assign({ address: '127.0.0.1', port: port }, option));
    expectBytes.push([expected, what]);
    sent++;
  }
  const expectErrors = [];
  function sendFails(option, errMsg, what) {
    tx.send(Object.assign({ address: '127.0.0.1', port: port }, option));
    expectErrors.push([{ errMsg: errMsg, errCode: -1 }, what]);
  }

  // The review's repro: the bytes are taken after the getter grew (moved) the buffer.
  // A send still waiting for a host name keeps the later one queued behind it.
  tx.send({ address: 'localhost', port: port, message: 'queued' });
  expectBytes.push([Array.from(new TextEncoder().encode('queued')), 'host-name send']);
  sent++;
  const big = new ArrayBuffer(8 << 20, { maxByteLength: 256 << 20 });
  new Uint8Array(big).set(pattern(60000, 1));
  sendOk({
    message: big, length: 60000,
    get offset() { big.resize(256 << 20); return 0; },
  }, Array.from(pattern(60000, 1)), 'buffer grown by the offset getter');

  // Shrunk by a getter: the range is checked against the buffer as it is then.
  const shrinking = new ArrayBuffer(1024, { maxByteLength: 4096 });
  sendFails({
    message: shrinking, offset: 0,
    get length() { shrinking.resize(10); return 100; },
  }, 'send:fail offset 0 and length 100 are out of range for a message of 10 bytes', 'shrunk by the length getter');
  const shrinking2 = new ArrayBuffer(64, { maxByteLength: 64 });
  new Uint8Array(shrinking2).set(pattern(64, 2));
  sendOk({
    message: shrinking2,
    get setBroadcast() { shrinking2.resize(5); return false; },
  }, Array.from(pattern(5, 2)), 'shrunk by the setBroadcast getter: the whole buffer as it is then');

  // A length-tracking view follows its buffer.
  const tracked = new ArrayBuffer(16, { maxByteLength: 64 });
  new Uint8Array(tracked).set(pattern(16, 3));
  const trackingView = new Uint8Array(tracked, 4);
  sendOk({ message: trackingView, get offset() { tracked.resize(8); return 1; } },
    Array.from(pattern(8, 3).slice(5)), 'length-tracking view after a shrink');

  // ... and after a growth too (its start comes from the view, its length is byteLength).
  const growingTracked = new ArrayBuffer(8, { maxByteLength: 64 });
  new Uint8Array(growingTracked).set(pattern(8, 13));
  const growingView = new Uint8Array(growingTracked, 2);
  sendOk({
    message: growingView,
    get offset() { growingTracked.resize(12); new Uint8Array(growingTracked).set(pattern(12, 13)); return 0; },
  }, Array.from(pattern(12, 13).slice(2)), 'length-tracking view after its buffer grew');
  // The length QuickJS recorded for a view is used only when it is exact: a tracking
  // view whose buffer grew and shrank back to where the view's recorded end is the
  // buffer's end again, one over a whole buffer that grew, a fixed view of a part.
  const backAgain = new ArrayBuffer(10, { maxByteLength: 64 });
  new Uint8Array(backAgain).set(pattern(10, 14));
  const backView = new Uint8Array(backAgain, 3);
  backAgain.resize(40);
  backAgain.resize(10);
  sendOk({ message: backView }, Array.from(pattern(10, 14).slice(3)), 'tracking view, buffer grown and shrunk back');
  const wholeGrown = new ArrayBuffer(4, { maxByteLength: 64 });
  const wholeView = new Uint8Array(wholeGrown);
  wholeGrown.resize(9);
  wholeView.set(pattern(9, 15));
  sendOk({ message: wholeView }, Array.from(pattern(9, 15)), 'tracking view over a whole buffer that grew');
  sendOk({ message: new Uint16Array(pattern(12, 16).buffer, 2, 3) },
    Array.from(pattern(12, 16).slice(2, 8)), 'fixed-length view of a part');
  const wide = new Uint32Array(pattern(16, 17).buffer);
  sendOk({ message: wide }, Array.from(pattern(16, 17)), 'a Uint32Array over a whole buffer');

  // Typed arrays of any element type send their bytes.
  sendOk({ message: new Uint16Array([0x0201, 0x0403, 0x0605]).subarray(1, 2) }, [3, 4], 'a Uint16Array view');
  sendOk({ message: new Uint8ClampedArray([7, 8, 9]) }, [7, 8, 9], 'a Uint8ClampedArray');

  // Detached by transfer(): before the call, or by a getter during it.
  const gone = pattern(4, 4).buffer;
  gone.transfer();
  sendFails({ message: gone }, 'send:fail the ArrayBuffer is detached', 'detached ArrayBuffer');
  const view = new Uint8Array(pattern(8, 5).buffer, 2, 4);
  view.buffer.transfer();
  sendFails({ message: view }, 'send:fail the ArrayBuffer is detached', 'view of a detached ArrayBuffer');
  const later = pattern(8, 6).buffer;
  sendFails({ message: later, get offset() { later.transfer(); return 0; } },
    'send:fail the ArrayBuffer is detached', 'detached by the offset getter');
  const laterView = new DataView(pattern(8, 7).buffer);
  sendFails({ message: laterView, get length() { laterView.buffer.transfer(); return 1; } },
    'send:fail the ArrayBuffer is detached', 'view detached by the length getter');

  // Duck-typed views: own byteOffset/byteLength, huge or wrong, never overflow.
  const small = pattern(50, 8).buffer;
  const outside = 'send:fail the view lies outside its ArrayBuffer';
  sendFails({ message: { buffer: small, byteOffset: 1.8e19, byteLength: 1.8e19 } }, outside, 'huge duck-typed view');
  sendFails({ message: { buffer: small, byteOffset: 2 ** 64, byteLength: 2 ** 64 } }, outside, '2^64 duck-typed view');
  sendFails({ message: { buffer: small, byteOffset: 2 ** 63, byteLength: 2 ** 63 } }, outside, '2^63 + 2^63 wraps to 0');
  sendFails({ message: { buffer: small, byteOffset: 100, byteLength: 1000 } }, outside, 'view past the end');
  sendFails({ message: { buffer: small, byteOffset: -1, byteLength: 2 } }, outside, 'negative byteOffset');
  sendFails({ message: { buffer: small, byteOffset: 1.5, byteLength: 2 } }, outside, 'fractional byteOffset');
  sendFails({ message: { buffer: small, byteOffset: NaN, byteLength: 2 } }, outside, 'NaN byteOffset');
  sendFails({ message: { buffer: small, byteOffset: '1', byteLength: 2 } }, outside, 'string byteOffset');
  sendOk({ message: { buffer: small, byteOffset: 10, byteLength: 3 } }, Array.from(pattern(50, 8).slice(10, 13)), 'duck-typed view in range');
  const shrinkMe = new ArrayBuffer(32, { maxByteLength: 32 });
  sendFails({
    message: { buffer: shrinkMe, byteOffset: 0, get byteLength() { shrinkMe.resize(4); return 32; } },
  }, outside, 'byteLength getter shrinks the buffer under the view');
  // offset/length options of any size: checked, never wrapped.
  sendFails({ message: pattern(4, 9).buffer, offset: 1, length: 2 ** 64 },
    'send:fail offset 1 and length 18446744073709551615 are out of range for a message of 4 bytes', 'huge length');
  sendFails({ message: { buffer: small, byteOffset: 49, byteLength: 1 }, offset: 2 ** 64 },
    'send:fail offset 18446744073709551615 and length (rest) are out of range for a message of 1 bytes', 'huge offset');

  // Proxies: a Proxy of a view is not a view (its getters refuse the Proxy); a Proxy that
  // answers like a view is read once, in order, and checked when copied.
  const proxied = new Proxy(pattern(4, 10), {});
  sendFails({ message: proxied },
    'send:fail parameter error: parameter.message should be String/ArrayBuffer instead of Object;', 'Proxy of a Uint8Array');
  const trapBuffer = pattern(16, 11).buffer;
  sendOk({
    message: new Proxy({}, {
      get(_, key) { return { buffer: trapBuffer, byteOffset: 2, byteLength: 5 }[key]; },
    }),
  }, Array.from(pattern(16, 11).slice(2, 7)), 'Proxy answering like a view');
  const trapShrink = new ArrayBuffer(16, { maxByteLength: 16 });
  sendFails({
    message: new Proxy({}, {
      get(_, key) {
        if (key === 'buffer') return trapShrink;
        if (key === 'byteOffset') return 0;
        if (key === 'byteLength') { trapShrink.resize(0); return 16; }
        return undefined;
      },
    }),
  }, outside, 'Proxy trap shrinks the buffer');

  // The order the options are read in.
  const order = [];
  const spiedView = new Proxy({ buffer: pattern(4, 12).buffer, byteOffset: 1, byteLength: 3 }, {
    get(target, key) { order.push('message.' + String(key)); return target[key]; },
  });
  const spied = new Proxy({ address: '127.0.0.1', port: port, message: spiedView, offset: 0, length: 2, setBroadcast: false }, {
    get(target, key) { order.push(String(key)); return target[key]; },
  });
  tx.send(spied);
  expectBytes.push([Array.from(pattern(4, 12).slice(1, 3)), 'spied options']);
  sent++;
  eq(order, ['address', 'port', 'message', 'message.buffer', 'offset', 'length', 'setBroadcast',
    'message.byteOffset', 'message.byteLength'], 'the options are read once, in a fixed order');

  // A getter that throws counts as a missing option; nothing is thrown at the caller.
  tx.send({ address: '127.0.0.1', get port() { throw new Error('boom'); }, message: 'x' });
  expectErrors.push([{ errMsg: 'send:fail parameter error: parameter.port should be Number instead of Undefined;', errCode: 2 }, 'throwing port getter']);

  // write() takes the same path.
  const viaWrite = new ArrayBuffer(8, { maxByteLength: 8 });
  tx.write({ address: '127.0.0.1', port: port, message: viaWrite, get offset() { viaWrite.resize(2); return 4; } });
  expectErrors.push([{ errMsg: 'write:fail offset 4 and length (rest) are out of range for a message of 2 bytes', errCode: -1 }, 'write']);

  await until(() => got.length === sent && errors.length === expectErrors.length, 'every datagram and error');
  expectBytes.forEach(([expected, what], i) => eq(bytes(got[i].message), expected, what));
  expectErrors.forEach(([expected, what], i) => eq(errors[i], expected, what));

  // TextDecoder and arrayBufferToBase64 copy the same way.
  const dec = new TextDecoder();
  const hello = new TextEncoder().encode('hello world');
  eq(dec.decode({ buffer: hello.buffer, byteOffset: 1.8e19, byteLength: 1.8e19 }), '', 'decode a huge duck-typed view');
  eq(dec.decode({ buffer: hello.buffer, byteOffset: 2 ** 63, byteLength: 2 ** 63 }), '', 'decode a wrapping duck-typed view');
  eq(dec.decode({ buffer: hello.buffer, byteOffset: 6, byteLength: 5 }), 'world', 'decode a duck-typed view');
  const detached = new TextEncoder().encode('gone').buffer;
  detached.transfer();
  eq(dec.decode(detached), '', 'decode a detached buffer');
  const growing = new ArrayBuffer(4, { maxByteLength: 1 << 20 });
  new Uint8Array(growing).set([0x61, 0x62, 0x63, 0x64]);
  eq(dec.decode({ buffer: growing, byteOffset: 0, get byteLength() { growing.resize(1 << 20); return 4; } }), 'abcd', 'decode after a getter grew the buffer');
  const dwindling = new ArrayBuffer(4, { maxByteLength: 4 });
  eq(dec.decode({ buffer: dwindling, byteOffset: 0, get byteLength() { dwindling.resize(1); return 4; } }), '', 'decode after a getter shrank the buffer');
  eq(wx.arrayBufferToBase64({ buffer: hello.buffer, byteOffset: 1.8e19, byteLength: 1.8e19 }), '', 'base64 of a huge duck-typed view');
  eq(wx.arrayBufferToBase64({ buffer: hello.buffer, byteOffset: 0, byteLength: 5 }), 'aGVsbG8=', 'base64 of a duck-typed view');
  eq(wx.arrayBufferToBase64(detached), '', 'base64 of a detached buffer');
  const b64grow = new ArrayBuffer(3, { maxByteLength: 1 << 20 });
  new Uint8Array(b64grow).set([0xde, 0xad, 0xbe]);
  eq(wx.arrayBufferToBase64({ buffer: b64grow, get byteOffset() { b64grow.resize(1 << 20); return 0; }, byteLength: 3 }), '3q2+', 'base64 after a getter grew the buffer');
  let threw = null;
  try { wx.arrayBufferToBase64(42); } catch (e) { threw = e; }
  assert(threw instanceof TypeError, 'base64 of a number throws a TypeError: ' + threw);

  // Buffers the runtime makes (TextEncoder, received messages, copies) are QuickJS's own
  // memory: transferring or detaching them, to the same or another length, is safe.
  const encoded = new TextEncoder().encode('abc').buffer;
  eq(Array.from(new Uint8Array(encoded.transfer(5))), [97, 98, 99, 0, 0], 'transfer(5) of an encoded buffer');
  assert(encoded.detached, 'the encoded buffer is detached');
  const encoded2 = new TextEncoder().encode('abcdef').buffer;
  eq(encoded2.transfer().byteLength, 6, 'transfer() of an encoded buffer');
  eq(new TextEncoder().encode('xy').buffer.transfer(0).byteLength, 0, 'transfer(0)');
  const received = got[1].message;
  eq(received.transfer(2).byteLength, 2, 'transfer(2) of a received message');
  eq(got[0].message.transfer().byteLength, 6, 'transfer() of a received message');
  eq(wx.base64ToArrayBuffer('3q2+7w==').transfer(1).byteLength, 1, 'transfer of a decoded buffer');

  rx.close();
  tx.close();
});
