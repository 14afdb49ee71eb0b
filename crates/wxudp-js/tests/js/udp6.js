// udp6 (dual-stack) and createUDPSocket's type argument (docs/CONTRACT.md §2 createUDPSocket).
const { assert, eq, next, collect, until, run, text } = require('./harness.js');

run(async function () {
  const six = wx.createUDPSocket('udp6');
  const port = six.bind();
  const got = collect(six, 'Message');

  const a = wx.createUDPSocket('udp6');
  a.send({ address: '::1', port: port, message: 'v6' });
  await until(() => got.length === 1, 'v6 datagram');
  eq(got[0].remoteInfo.address, '::1', 'v6 sender');
  eq(got[0].remoteInfo.family, 'IPv6', 'v6 family');
  eq(got[0].localInfo, { address: '::1', family: 'IPv6', port: port }, 'v6 localInfo');

  // IPv4 destinations from udp6 go out mapped; IPv4 peers appear mapped.
  a.send({ address: '127.0.0.1', port: port, message: 'mapped' });
  const four = wx.createUDPSocket('udp4');
  four.send({ address: '127.0.0.1', port: port, message: 'from udp4' });
  await until(() => got.length === 3, 'mapped datagrams');
  eq(got[1].remoteInfo.address, '::ffff:127.0.0.1', 'mapped sender');
  eq(got[1].remoteInfo.family, 'IPv6', 'mapped family');
  eq(text(got[2].message), 'from udp4', 'udp4 peer');
  eq(got[2].remoteInfo.address, '::ffff:127.0.0.1', 'udp4 peer appears mapped');

  // An unknown type: the socket is still created (udp4) and an error is queued.
  const odd = wx.createUDPSocket('tcp');
  const e = await next(odd, 'Error');
  eq(e, { errMsg: 'createUDPSocket:fail invalid type', errCode: -1 }, 'invalid type');
  const oddPort = odd.bind();
  assert(oddPort > 0, 'the socket works');
  const r = next(odd, 'Message');
  four.send({ address: '127.0.0.1', port: oddPort, message: 'still udp4' });
  eq((await r).remoteInfo.family, 'IPv4', 'udp4 socket');

  for (const x of [six, a, four, odd]) x.close();
});
