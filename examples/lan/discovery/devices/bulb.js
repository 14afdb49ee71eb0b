// A Wi-Fi bulb, simulated by a wxudp script: answers discovery probes on UDP 4210 with
// its name and kind.
const socket = wx.createUDPSocket();
socket.onMessage(function (res) {
  let probe;
  try {
    probe = JSON.parse(new TextDecoder().decode(res.message));
  } catch (e) {
    return;
  }
  if (probe.cmd !== 'discover') return;
  console.log('probe from ' + res.remoteInfo.address + ' to ' + res.localInfo.address);
  socket.send({
    address: res.remoteInfo.address,
    port: res.remoteInfo.port,
    message: JSON.stringify({ cmd: 'here', name: 'Hall bulb', kind: 'bulb' }),
  });
});
socket.bind(4210);
localAddress().then(function (res) {
  console.log('Hall bulb at ' + res.localip + ', listening on 4210');
});

// wx.getLocalIPAddress as a Promise (the official typings declare only its callbacks).
function localAddress() {
  return new Promise(function (resolve, reject) {
    wx.getLocalIPAddress({ success: resolve, fail: reject });
  });
}
