// pages/provision/provision.js — SoftAP Wi-Fi provisioning of an ESP8266, written the
// way such pages are: the phone joins the module's access point, and the page sends the
// home network's credentials to the module at 192.168.4.1:8266 over UDP.
const util = require('../../utils/util.js');

Page({
  data: {
    ssid: 'home-wifi',
    password: 'correct horse',
    status: 'idle',
    logs: [],
  },

  onLoad: function (options) {
    var that = this;
    if (!wx.canIUse('createUDPSocket')) {
      wx.showModal({ title: '提示', content: '当前微信版本过低，无法使用该功能' });
      return;
    }
    that.udp = wx.createUDPSocket();
    that.udp.bind();
    that.udp.onListening(function () {
      that.addLog('udp listening');
    });
    that.udp.onMessage(function (res) {
      var text = util.ab2str(res.message);
      that.addLog('recv from ' + res.remoteInfo.address + ':' + res.remoteInfo.port + ' ' + text);
      var reply = JSON.parse(text);
      if (reply.ok) {
        clearInterval(that.retry);
        that.setData({ status: 'configured' });
        wx.showToast({ title: '配网成功', icon: 'success' });
        console.log('configured: ' + reply.mac);
        that.udp.close();
      }
    });
    that.udp.onError(function (res) {
      that.addLog('error ' + res.errMsg);
    });
    that.sendConfig();
    that.retry = setInterval(function () { that.sendConfig(); }, 1000);
  },

  sendConfig: function () {
    var msg = JSON.stringify({ ssid: this.data.ssid, password: this.data.password });
    this.setData({ status: 'sending' });
    this.udp.send({
      address: '192.168.4.1',
      port: 8266,
      message: msg,
    });
  },

  addLog: function (line) {
    var logs = this.data.logs.concat(util.formatTime(new Date()) + ' ' + line);
    this.setData({ logs: logs });
    console.log(line);
  },

  onUnload: function () {
    clearInterval(this.retry);
    this.udp.close();
  },
});
