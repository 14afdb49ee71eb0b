// The device side of discovery, for the test: answers one probe on port 4210.
const sock = wx.createUDPSocket();
sock.onMessage(function (res) {
  if (new TextDecoder().decode(res.message) !== 'DISCOVER') return;
  console.log('probe from ' + res.remoteInfo.address + ' to ' + res.localInfo.address);
  sock.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: JSON.stringify({ name: 'esp8266-5ccf7f' }) });
  sock.close();
});
sock.onListening(function () { console.log('device listening'); });
sock.bind(4210);
