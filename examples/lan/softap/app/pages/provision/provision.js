// pages/provision/provision.js: SoftAP provisioning of a Wi-Fi lamp (an ESP8266).
//
// 1. note the home network the phone is on (wx.getConnectedWifi);
// 2. join the lamp's access point, ESP_5CCF7F (wx.connectWifi);
// 3. send it the home network's name and password over UDP, to 192.168.4.1:8266;
// 4. go back to the home network;
// 5. find the lamp there: a broadcast to 255.255.255.255:4210, until it answers;
// 6. talk to it: switch it on.
//
// The UDP socket is bound once, to the wildcard, before the phone changes networks, and
// keeps working on each, as on a phone. The password comes from the page's query (the
// user types it): ?password=...
const { request } = require('../../utils/udp.js');

const LAMP_AP = 'ESP_5CCF7F';
const LAMP_AP_ADDRESS = '192.168.4.1';
const CONFIG_PORT = 8266;
const LAMP_PORT = 4210;

Page({
  data: { step: 'idle', home: '', lamp: null },

  onLoad: function (query) {
    const page = this;
    wx.onNetworkStatusChange(function (res) {
      console.log('network changed: ' + res.networkType);
    });
    provision(page, decodeURIComponent(query.password || '')).then(function (lamp) {
      page.setData({ step: 'done', lamp: lamp });
      getApp().globalData.lamp = lamp;
      wx.showToast({ title: '配网成功', icon: 'success' });
    }, function (err) {
      // A wx API fails with { errMsg, errCode }, the page's own checks with an Error.
      const message = err && err.errMsg ? err.errMsg + ' (errCode ' + err.errCode + ')' : String(err && err.message);
      page.setData({ step: 'failed: ' + message });
      wx.showModal({ title: '配网失败', content: message, showCancel: false });
      // Left uncaught: the run, and so `wxudp lan`, ends with status 1.
      throw new Error('provisioning failed: ' + message);
    });
  },
});

async function where() {
  const wifi = (await wx.getConnectedWifi({})).wifi;
  const ip = (await localAddress()).localip;
  return wifi.SSID + ' as ' + ip;
}

async function provision(page, password) {
  await wx.startWifi({});
  const home = (await wx.getConnectedWifi({})).wifi.SSID;
  page.setData({ step: 'joining ' + LAMP_AP, home: home });
  console.log('on ' + (await where()));
  const socket = wx.createUDPSocket();
  socket.bind();
  try {
    await wx.connectWifi({ SSID: LAMP_AP, password: '' });
    console.log('on ' + (await where()));

    page.setData({ step: 'sending the credentials' });
    const ack = await request(socket, LAMP_AP_ADDRESS, CONFIG_PORT, { cmd: 'config', ssid: home, password: password }, {
      tries: 20,
      every: 500,
      match: function (reply) { return reply.cmd === 'config' && reply.ok === true; },
    });
    if (!ack) throw new Error('the lamp did not answer on ' + LAMP_AP);
    console.log('sent the credentials of ' + home + ' to ' + LAMP_AP_ADDRESS + ':' + CONFIG_PORT + '; ' + ack.reply.name + ' (' + ack.reply.mac + ') will join it');

    await wx.connectWifi({ SSID: home, password: password });
    console.log('back on ' + (await where()));

    page.setData({ step: 'looking for the lamp on ' + home });
    const found = await request(socket, '255.255.255.255', LAMP_PORT, { cmd: 'discover' }, {
      tries: 40,
      every: 250,
      match: function (reply) { return reply.cmd === 'here' && reply.mac === ack.reply.mac; },
    });
    if (!found) throw new Error(ack.reply.name + ' did not show up on ' + home + ': was the password right?');
    const lamp = { name: found.reply.name, mac: found.reply.mac, address: found.from.address };
    console.log('found ' + lamp.name + ' (' + lamp.mac + ') at ' + lamp.address + ':' + found.from.port);

    const state = await request(socket, lamp.address, LAMP_PORT, { cmd: 'set', on: true }, {
      tries: 10,
      every: 500,
      match: function (reply) { return reply.cmd === 'state'; },
    });
    if (!state || state.reply.on !== true) throw new Error(lamp.name + ' did not switch on');
    console.log(lamp.name + ' is on');
    return lamp;
  } finally {
    socket.close();
  }
}

// wx.getLocalIPAddress as a Promise (the official typings declare only its callbacks).
function localAddress() {
  return new Promise(function (resolve, reject) {
    wx.getLocalIPAddress({ success: resolve, fail: reject });
  });
}
