// Ask for the password, find the lamp by mDNS, hand it the credentials over UDP,
// register it with the cloud (wx.request), keep a log under wx.env.USER_DATA_PATH.
const CLOUD = 'http://192.168.1.10:8080/devices';
const LOG = wx.env.USER_DATA_PATH + '/provision.log';

function findLamp() {
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () { reject(new Error('no lamp found by mDNS')); }, 10000);
    wx.onLocalServiceFound(function (service) {
      clearTimeout(timer);
      wx.stopLocalServiceDiscovery();
      resolve(service);
    });
    wx.startLocalServiceDiscovery({ serviceType: '_lamp._udp.' }).catch(reject);
  });
}

function provision(lamp, ssid, password) {
  return new Promise(function (resolve, reject) {
    const udp = wx.createUDPSocket();
    const timer = setTimeout(function () { udp.close(); reject(new Error('the lamp did not answer')); }, 5000);
    udp.onMessage(function (res) {
      clearTimeout(timer);
      udp.close();
      resolve(JSON.parse(new TextDecoder().decode(res.message)));
    });
    udp.send({ address: lamp.ip, port: lamp.port, message: JSON.stringify({ cmd: 'provision', ssid: ssid, password: password }) });
  });
}

function register(device) {
  return new Promise(function (resolve, reject) {
    wx.request({
      url: CLOUD,
      method: 'POST',
      data: { deviceId: device.deviceId, model: device.model },
      success: resolve,
      fail: function (err) { reject(new Error(err.errMsg)); },
    });
  });
}

Page({
  data: { status: 'asking', lamp: null, device: null, cloud: null, log: '' },

  onLoad: function () {
    const page = this;
    const fs = wx.getFileSystemManager();
    wx.showModal({ title: 'HomeWiFi', content: 'The Wi-Fi password', editable: true, placeholderText: 'password' }).then(function (answer) {
      if (!answer.confirm) {
        page.setData({ status: 'cancelled' });
        console.log('the user cancelled');
        return undefined;
      }
      page.setData({ status: 'searching' });
      return findLamp().then(function (lamp) {
        console.log('found ' + lamp.serviceName + ' at ' + lamp.ip + ':' + lamp.port);
        page.setData({ lamp: lamp, status: 'provisioning' });
        return provision(lamp, 'HomeWiFi', answer.content);
      }).then(function (device) {
        if (!device.ok) throw new Error('the lamp refused the credentials');
        page.setData({ device: device, status: 'registering' });
        return register(device);
      }).then(function (res) {
        console.log('the cloud answered ' + res.statusCode + ': ' + JSON.stringify(res.data));
        fs.writeFileSync(LOG, 'provisioned ' + res.data.deviceId + ' token ' + res.data.token, 'utf8');
        console.log('saved ' + LOG + ': ' + fs.readFileSync(LOG, 'utf8'));
        page.setData({
          cloud: { statusCode: res.statusCode, data: res.data, cookies: res.cookies },
          log: String(fs.readFileSync(LOG, 'utf8')),
          status: 'registered',
        });
        wx.showToast({ title: '配网成功' });
      });
    });
  },
});
