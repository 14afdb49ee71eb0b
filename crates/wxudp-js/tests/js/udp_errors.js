// Bad input: an error event with the exact errCode, never an exception (docs/CONTRACT.md §4).
const { assert, eq, next, collect, until, run, text } = require('./harness.js');

run(async function () {
  const rx = wx.createUDPSocket();
  const port = rx.bind();
  const received = collect(rx, 'Message');
  const s = wx.createUDPSocket();
  s.bind();
  const errors = collect(s, 'Error');
  const data = new Uint8Array([1, 2, 3]).buffer;
  const cases = [
    [() => s.send(), -1, 'send:fail parameter error: parameter.option should be Object instead of Undefined;'],
    [() => s.send(null), -1, 'send:fail parameter error: parameter.option should be Object instead of Null;'],
    [() => s.send('x'), -1, 'send:fail parameter error: parameter.option should be Object instead of String;'],
    [() => s.send({ port: port, message: 'x' }), 1, 'send:fail parameter error: parameter.address should be String instead of Undefined;'],
    [() => s.send({ address: 127, port: port, message: 'x' }), 1, 'send:fail parameter error: parameter.address should be String instead of Number;'],
    [() => s.send({ address: 'not a host', port: port, message: 'x' }), 1, null],
    [() => s.send({ address: '', port: port, message: 'x' }), 1, 'send:fail invalid address: the address is empty'],
    [() => s.send({ address: '::1', port: port, message: 'x' }), 1, 'send:fail invalid address: ::1 is an IPv6 address and this is a udp4 socket'],
    [() => s.send({ address: '127.0.0.1', message: 'x' }), 2, 'send:fail parameter error: parameter.port should be Number instead of Undefined;'],
    [() => s.send({ address: '127.0.0.1', port: true, message: 'x' }), 2, 'send:fail parameter error: parameter.port should be Number instead of Boolean;'],
    [() => s.send({ address: '127.0.0.1', port: 0, message: 'x' }), 2, 'send:fail invalid port: 0 is not a valid destination port'],
    [() => s.send({ address: '127.0.0.1', port: 65536, message: 'x' }), 2, null],
    [() => s.send({ address: '127.0.0.1', port: 1.5, message: 'x' }), 2, null],
    [() => s.send({ address: '127.0.0.1', port: 'abc', message: 'x' }), 2, null],
    [() => s.send({ address: '127.0.0.1', port: port }), -1, 'send:fail parameter error: parameter.message should be String/ArrayBuffer instead of Undefined;'],
    [() => s.send({ address: '127.0.0.1', port: port, message: 42 }), -1, 'send:fail parameter error: parameter.message should be String/ArrayBuffer instead of Number;'],
    [() => s.send({ address: '127.0.0.1', port: port, message: data, offset: 4 }), -1, null],
    [() => s.send({ address: '127.0.0.1', port: port, message: data, offset: 1, length: 3 }), -1, 'send:fail offset 1 and length 3 are out of range for a message of 3 bytes'],
    [() => s.send({ address: '127.0.0.1', port: port, message: data, offset: -1 }), -1, 'send:fail invalid offset -1: it must be a non-negative integer'],
    [() => s.send({ address: '127.0.0.1', port: port, message: data, length: '2' }), -1, 'send:fail parameter error: parameter.length should be Number instead of String;'],
    [() => s.send({ address: '127.0.0.1', port: port, message: new Uint8Array(65508) }), -2, 'send:fail message too long (os error 90)'],
    [() => s.write({ address: '127.0.0.1', port: 0, message: 'x' }), 2, 'write:fail invalid port: 0 is not a valid destination port'],
    [() => s.connect({ address: '127.0.0.1' }), 2, 'connect:fail parameter error: parameter.port should be Number instead of Undefined;'],
    [() => s.connect(), -1, 'connect:fail parameter error: parameter.option should be Object instead of Undefined;'],
    [() => s.setTTL(256), -1, 'setTTL:fail invalid ttl 256: it must be an integer in 0..255'],
    [() => s.setTTL(-1), -1, null],
    [() => s.setTTL(1.5), -1, null],
    [() => s.setTTL('64'), -1, 'setTTL:fail parameter error: parameter.ttl should be Number instead of String;'],
    [() => s.setTTL(), -1, null],
  ];
  for (let i = 0; i < cases.length; i++) {
    const [call, code, msg] = cases[i];
    let threw = null;
    try { call(); } catch (e) { threw = e; }
    assert(threw === null, 'case #' + i + ' threw ' + threw);
    await until(() => errors.length === i + 1, 'the error event of case #' + i);
    eq(errors[i].errCode, code, 'errCode of case #' + i + ' (' + errors[i].errMsg + ')');
    if (msg !== null) eq(errors[i].errMsg, msg, 'errMsg of case #' + i);
  }
  // Unresolvable host names are an error event (errCode 1) too, after the lookup.
  const lookup = next(s, 'Error');
  s.send({ address: 'no-such-host.invalid', port: port, message: 'x' });
  const e = await lookup;
  eq(e.errCode, 1, 'unresolvable name');
  assert(e.errMsg.indexOf('send:fail invalid address: cannot resolve no-such-host.invalid') === 0, e.errMsg);

  // An invalid bind port returns 0 with errCode 2.
  const t = wx.createUDPSocket();
  const bindErr = next(t, 'Error');
  eq(t.bind(70000), 0, 'bind(70000)');
  eq((await bindErr).errCode, 2, 'bind(70000) errCode');
  const bindErr2 = next(t, 'Error');
  eq(t.bind({}), 0, 'bind({})');
  eq(await bindErr2, { errMsg: 'bind:fail parameter error: parameter.port should be Number instead of Object;', errCode: 2 }, 'bind({})');

  // Nothing of that was sent, and the socket still works.
  const ok = next(rx, 'Message');
  s.send({ address: '127.0.0.1', port: port, message: 'still fine' });
  eq(text((await ok).message), 'still fine', 'after the errors');
  eq(received.length, 1, 'only the good datagram arrived');
  // A method detached from its socket is a programming error: a TypeError, as browsers
  // throw for "Illegal invocation".
  const detached = s.send;
  let illegal = null;
  try { detached({ address: '127.0.0.1', port: port, message: 'x' }); } catch (e) { illegal = e; }
  assert(illegal instanceof TypeError && /Illegal invocation/.test(illegal.message), 'detached method: ' + illegal);
  // send and write are natives on the prototype, shaped like the other methods.
  for (const [m, self] of [['send', {}], ['write', null], ['send', 42], ['write', Object.create(s)]]) {
    let threw = null;
    try { s[m].call(self, { address: '127.0.0.1', port: port, message: 'x' }); } catch (e) { threw = e; }
    if (self !== null && typeof self === 'object' && Object.getPrototypeOf(self) === s) {
      eq(threw, null, m + ' on an object inheriting from a socket works, as this[ID] did');
    } else {
      assert(threw instanceof TypeError && /Illegal invocation/.test(threw.message), m + ' on ' + self + ': ' + threw);
    }
    const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(s), m);
    eq([d.enumerable, d.writable, d.configurable, s[m].name, s[m].length], [false, true, true, m, 1], m + ' descriptor');
  }
  eq(Object.keys(s), [], 'no enumerable property on a socket');

  for (const x of [rx, s, t]) x.close();
});
