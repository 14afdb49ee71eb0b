// The ESP8266 side, for the test: listens on 8266 at 192.168.4.1 and acknowledges the
// credentials it receives.
const sock = wx.createUDPSocket();
sock.onMessage(function (res) {
  const cfg = JSON.parse(new TextDecoder().decode(res.message));
  console.log('device got ssid=' + cfg.ssid + ' from ' + res.remoteInfo.address + ' to ' + res.localInfo.address);
  sock.send({
    address: res.remoteInfo.address,
    port: res.remoteInfo.port,
    message: JSON.stringify({ ok: true, mac: '5c:cf:7f:00:00:01' }),
  });
  sock.close();
});
sock.onListening(function () { console.log('device listening'); });
sock.bind(8266);
