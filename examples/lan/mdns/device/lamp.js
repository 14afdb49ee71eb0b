// The lamp: takes the home network's credentials over UDP ({"cmd":"provision",...}) and
// answers with its device id; it is on the home network already, in setup mode.
const udp = wx.createUDPSocket();
udp.bind(4210);
console.log('listening on 4210');
udp.onMessage(function (res) {
  let command;
  try { command = JSON.parse(new TextDecoder().decode(res.message)); } catch (e) { return; }
  if (command.cmd !== 'provision') return;
  console.log('got the credentials of ' + command.ssid + ' from ' + res.remoteInfo.address);
  const ok = command.password === 'correct-horse-battery';
  const reply = JSON.stringify({ ok: ok, deviceId: 'lamp-5ccf7f', model: 'ESP8266' });
  udp.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: reply });
  if (ok) udp.close();
});
