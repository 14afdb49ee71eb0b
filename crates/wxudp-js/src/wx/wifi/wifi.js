// Part of the prelude (wx/mod.rs assembles it): Wi-Fi: wx.startWifi and the rest over N.wifi (wx/wifi/mod.rs decides every errCode).
// wx.startWifi and the rest over N.wifi (wx/wifi/mod.rs, which decides every errCode):
// success/fail/complete or a Promise, results with errCode 0, failures as
// { errMsg: 'connectWifi:fail password error Wi-Fi', errCode: 12002 }. In a LAN
// (wxudp lan) connectWifi moves this host onto the network; onNetworkStatusChange and
// onWifiConnected follow.
const wifiConnected = listenerList();
const wifiConnectedPartial = listenerList();
const wifiList = listenerList();
// WifiInfo with its fields in WeChat's order (the JSON from Rust has them sorted).
function wifiInfo(w) {
  const out = {};
  ['SSID', 'BSSID', 'secure', 'signalStrength', 'frequency'].forEach(function (k) { if (k in w) out[k] = w[k]; });
  return out;
}
// N.wifi answers later (wx/wifi/mod.rs: the run's Wi-Fi worker, which may ask the LAN
// controller), in the order of the calls.
function wifiCall(op, args, then) {
  N.wifi(op, JSON.stringify(args || {}), function (text) {
    const answer = JSON.parse(text);
    const r = answer.result;
    if (r && r.wifi) r.wifi = wifiInfo(r.wifi);
    if (r && r.fullWifi) r.fullWifi = wifiInfo(r.fullWifi);
    if (r && r.wifiList) r.wifiList = r.wifiList.map(wifiInfo);
    then(answer);
  });
}
// `body(opts, done)` calls done with N.wifi's answer.
function wifiApi(name, body) {
  return function (options) {
    const opts = options || {};
    const promise = new Promise(function (resolve, reject) {
      body(opts, function (answer) {
        if (answer.errCode) reject({ errMsg: name + ':fail ' + answer.reason, errCode: answer.errCode });
        else resolve(Object.assign({ errMsg: name + ':ok', errCode: 0 }, answer.result));
      });
    });
    return settle(opts, promise);
  };
}
wx.startWifi = wifiApi('startWifi', function (opts, done) { wifiCall('start', {}, done); });
wx.stopWifi = wifiApi('stopWifi', function (opts, done) { wifiCall('stop', {}, done); });
wx.getConnectedWifi = wifiApi('getConnectedWifi', function (opts, done) {
  wifiCall('connected', { partialInfo: opts.partialInfo === true }, done);
});
// The list goes to the onGetWifiList listeners, after the success callback.
// On Android, the list needs scope.userLocation (asked the first time, as WeChat does);
// refused, the call fails with 12010 and the reason.
wx.getWifiList = wifiApi('getWifiList', function (opts, done) {
  if (JSON.parse(SYSTEM_INFO).platform === 'android' && !PROMPTS.promptScope('scope.userLocation')) {
    return done({ errCode: 12010, reason: 'auth deny' });
  }
  wifiCall('list', {}, function (answer) {
    if (answer.errCode) return done(answer);
    done({ result: {} });
    setTimeout(function () { wifiList.emit({ wifiList: answer.result.wifiList }); }, 0);
  });
});
// Checked first (a second call before the answer is 12004), then joined (the LAN
// controller moves the host meanwhile).
wx.connectWifi = wifiApi('connectWifi', function (opts, done) {
  const request = {
    SSID: typeof opts.SSID === 'string' ? opts.SSID : undefined,
    BSSID: typeof opts.BSSID === 'string' ? opts.BSSID : undefined,
    password: opts.password === undefined || opts.password === null ? '' : String(opts.password),
    partialInfo: opts.partialInfo === true,
  };
  function noted(result) {
    if (N.noting) N.note('wifi', 'connectWifi ' + request.SSID + ': ' + (result.errCode ? result.errMsg || ('errCode ' + result.errCode) : 'connected'));
    return result;
  }
  wifiCall('connectBegin', request, function (begun) {
    if (begun.errCode) return done(noted(begun));
    wifiCall('connectFinish', request, function (answer) {
      if (answer.errCode) return done(noted(answer));
      noted(answer);
      // The events first, as the phone's network changes before the call returns.
      const result = answer.result;
      if (result.moved) networkStatus.emit({ isConnected: true, networkType: 'wifi' });
      wifiConnected.emit({ wifi: result.fullWifi });
      wifiConnectedPartial.emit({ wifi: { SSID: result.fullWifi.SSID } });
      done({ result: result.wifi ? { wifi: result.wifi } : {} });
    });
  });
});
wx.onGetWifiList = wifiList.on;
wx.offGetWifiList = wifiList.off;
wx.onWifiConnected = wifiConnected.on;
wx.offWifiConnected = wifiConnected.off;
wx.onWifiConnectedWithPartialInfo = wifiConnectedPartial.on;
wx.offWifiConnectedWithPartialInfo = wifiConnectedPartial.off;
[['startWifi', '1.6.0'], ['stopWifi', '1.6.0'], ['getWifiList', '1.6.0'], ['onGetWifiList', '1.6.0'],
  ['offGetWifiList', '2.9.3'], ['connectWifi', '1.6.0'], ['connectWifi.object.partialInfo', '2.22.0'],
  ['getConnectedWifi', '1.6.0'], ['getConnectedWifi.object.partialInfo', '2.22.0'],
  ['onWifiConnected', '1.6.0'], ['offWifiConnected', '2.9.3'],
  ['onWifiConnectedWithPartialInfo', '2.22.0'], ['offWifiConnectedWithPartialInfo', '2.22.0'],
].forEach(function (e) { canIUseTable[e[0]] = e[1]; });
const systemSetting = wx.getSystemSetting;
wx.getSystemSetting = function () {
  return Object.assign(systemSetting(), { wifiEnabled: N.wifiEnabled });
};
