// Part of the prelude (wx/mod.rs assembles it): UDPSocket: WeChat's shape over the natives of wx/udp (every rule lives in the Rust core).
const ID = Symbol('wxudp.socket');
// The socket id of `self`; a method called on something else (say, detached from its
// socket) is a programming error, reported the way browsers do.
function idOf(self) {
  const id = self === null || self === undefined ? undefined : self[ID];
  if (id === undefined) throw new TypeError('Illegal invocation: not a UDPSocket');
  return id;
}
class UDPSocket {
  bind(port) { return N.udpBind(idOf(this), port); }
  connect(option) { N.udpConnect(idOf(this), option); }
  setTTL(ttl) { N.udpSetTTL(idOf(this), ttl); }
  close() { N.udpClose(idOf(this)); }
}
// send and write are natives that read this[ID] themselves: the hot path has no
// JavaScript frame of ours. Defined as class methods are: not enumerable.
N.udpKey(ID);
['send', 'write'].forEach(function (m) {
  Object.defineProperty(UDPSocket.prototype, m, {
    value: N['udp_' + m], writable: true, enumerable: false, configurable: true,
  });
});
[['Close', 'close'], ['Error', 'error'], ['Listening', 'listening'], ['Message', 'message']].forEach(function (e) {
  UDPSocket.prototype['on' + e[0]] = function (listener) { N.udpOn(idOf(this), e[1], listener); };
  UDPSocket.prototype['off' + e[0]] = function (listener) { N.udpOff(idOf(this), e[1], listener); };
});
// With a report (N.noting), each send first says where the script called it from: the
// flow view shows it (observe/flow.rs). A frame of ours and a stack, only then.
if (N.noting) {
  ['send', 'write'].forEach(function (m) {
    const native = N['udp_' + m];
    const wrapped = {
      [m](option) { N.sendSite(N.mapStack(String(new Error().stack))); return native.call(this, option); },
    }[m];
    Object.defineProperty(UDPSocket.prototype, m, {
      value: wrapped, writable: true, enumerable: false, configurable: true,
    });
  });
}
// Methods a base library older than their version does not have (the canIUse table).
['connect', 'write', 'setTTL'].forEach(function (m) {
  if (!versionAtLeast(canIUseTable['UDPSocket.' + m])) delete UDPSocket.prototype[m];
});

function createUDPSocket(type) {
  const socket = Object.create(UDPSocket.prototype);
  const useType = versionAtLeast(canIUseTable['createUDPSocket.type']) ? type : undefined;
  Object.defineProperty(socket, ID, { value: N.udpCreate(useType) });
  return socket;
}

wx.createUDPSocket = createUDPSocket;
