// A Wi-Fi lamp (an ESP8266 in SoftAP mode), simulated by a wxudp script: the device in
// the language of the page. It starts as its own access point, ESP_5CCF7F, at
// 192.168.4.1; given a network's name and password on UDP port 8266 it acknowledges,
// then joins that network with wx.connectWifi, as the firmware would. On port 4210 it
// answers discovery broadcasts and switches on and off.
const NAME = 'Desk lamp';
const MAC = '5c:cf:7f:00:00:01';
let on = false;
let joining = false;

function decode(buffer) {
  try {
    return JSON.parse(new TextDecoder().decode(buffer));
  } catch (e) {
    return {};
  }
}

function reply(socket, res, message) {
  socket.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: JSON.stringify(message) });
}

const config = wx.createUDPSocket();
config.onMessage(function (res) {
  const msg = decode(res.message);
  if (msg.cmd !== 'config') return;
  reply(config, res, { cmd: 'config', ok: true, name: NAME, mac: MAC });
  if (joining) return;
  joining = true;
  console.log('got the credentials of ' + msg.ssid + ' from ' + res.remoteInfo.address);
  join(msg.ssid, msg.password);
});
config.bind(8266);

const lamp = wx.createUDPSocket();
lamp.onMessage(function (res) {
  const msg = decode(res.message);
  if (msg.cmd === 'discover') {
    reply(lamp, res, { cmd: 'here', name: NAME, mac: MAC });
  } else if (msg.cmd === 'set') {
    on = msg.on === true;
    console.log('switched ' + (on ? 'on' : 'off') + ' by ' + res.remoteInfo.address);
    reply(lamp, res, { cmd: 'state', on: on });
  }
});
lamp.bind(4210);

async function join(ssid, password) {
  try {
    await wx.startWifi({});
    await wx.connectWifi({ SSID: ssid, password: password });
    const ip = (await localAddress()).localip;
    console.log('joined ' + ssid + ' as ' + ip);
  } catch (e) {
    // Back to waiting on its own access point, as the firmware does.
    console.log('cannot join ' + ssid + ': ' + e.errCode + ' ' + e.errMsg);
    joining = false;
  }
}

console.log(NAME + ' ' + MAC + ': access point ESP_5CCF7F up, listening on 8266 and 4210');

// wx.getLocalIPAddress as a Promise (the official typings declare only its callbacks).
function localAddress() {
  return new Promise(function (resolve, reject) {
    wx.getLocalIPAddress({ success: resolve, fail: reject });
  });
}
