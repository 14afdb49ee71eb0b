// The Wi-Fi APIs outside a LAN (docs/LAN.md): a phone connected to one default network
// (--wifi SSID), or with Wi-Fi off (--wifi off), or a platform without Wi-Fi APIs. The
// Rust harness runs this file once per case; the case is read from the system info.
const { assert, eq, until, run } = require('./harness.js');

// The answer of an API called with callbacks: which ran, and with what.
function callbacks(api, options) {
  return new Promise(function (resolve) {
    const seen = { success: null, fail: null, complete: null };
    api(Object.assign({}, options, {
      success(res) { seen.success = res; },
      fail(res) { seen.fail = res; },
      complete(res) { seen.complete = res; resolve(seen); },
    }));
  });
}

// The errCode and errMsg of a rejected Promise form.
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const platform = wx.getSystemInfoSync().platform;
const wifiOn = wx.getSystemSetting().wifiEnabled;

run(async function () {
  for (const name of ['startWifi', 'stopWifi', 'getWifiList', 'onGetWifiList', 'connectWifi',
    'getConnectedWifi', 'onWifiConnected', 'offWifiConnected', 'onWifiConnectedWithPartialInfo']) {
    eq(typeof wx[name], 'function', name);
    assert(wx.canIUse(name), 'canIUse ' + name);
  }

  if (platform === 'windows' || platform === 'mac' || platform === 'devtools') {
    // 12001: WeChat on a computer has no Wi-Fi APIs.
    const e = await rejection(wx.startWifi());
    eq(e, { errMsg: 'startWifi:fail system not support', errCode: 12001 }, 'startWifi on ' + platform);
    eq((await rejection(wx.getConnectedWifi())).errCode, 12001, 'getConnectedWifi on ' + platform);
    return;
  }

  // 12000 before startWifi, with callbacks and as a Promise.
  const early = await callbacks(wx.getConnectedWifi);
  eq(early.fail, { errMsg: 'getConnectedWifi:fail not init', errCode: 12000 }, 'not init');
  eq(early.success, null, 'no success');
  eq(early.complete, early.fail, 'complete gets the failure');
  eq((await rejection(wx.connectWifi({ SSID: 'wxudp', password: 'x' }))).errCode, 12000, 'connectWifi before start');
  eq((await rejection(wx.getWifiList())).errCode, 12000, 'getWifiList before start');
  eq((await rejection(wx.stopWifi())).errCode, 12000, 'stopWifi before start');

  const started = await callbacks(wx.startWifi);
  eq(started.success, { errMsg: 'startWifi:ok', errCode: 0 }, 'startWifi');

  if (!wifiOn) {
    // 12005 (Android's; iOS says 12010 with the reason).
    const off = await rejection(wx.getConnectedWifi());
    if (platform === 'ios') eq(off, { errMsg: 'getConnectedWifi:fail wifi not turned on', errCode: 12010 }, 'off on iOS');
    else eq(off, { errMsg: 'getConnectedWifi:fail wifi not turned on', errCode: 12005 }, 'Wi-Fi off');
    eq((await rejection(wx.getWifiList())).errCode, platform === 'ios' ? 12010 : 12005, 'getWifiList when off');
    eq((await rejection(wx.connectWifi({ SSID: 'wxudp', password: '12345678' }))).errCode,
      platform === 'ios' ? 12010 : 12005, 'connectWifi when off');
    return;
  }

  // The default network.
  const connected = await wx.getConnectedWifi();
  eq(connected.errMsg, 'getConnectedWifi:ok', 'getConnectedWifi');
  eq(connected.wifi.SSID, 'wxudp', 'the default SSID');
  assert(/^02(:[0-9a-f]{2}){5}$/.test(connected.wifi.BSSID), 'a BSSID ' + connected.wifi.BSSID);
  eq(connected.wifi.secure, true, 'secure');
  eq(connected.wifi.frequency, 2437, 'frequency');
  eq(connected.wifi.signalStrength, platform === 'ios' ? 0.8 : 80, 'signal strength per platform');
  const partial = await wx.getConnectedWifi({ partialInfo: true });
  eq(Object.keys(partial.wifi), platform === 'ios' ? ['SSID', 'BSSID'] : ['SSID'], 'partialInfo');

  // getWifiList: success first, then onGetWifiList.
  const order = [];
  let listed = null;
  function onList(res) { order.push('list'); listed = res; }
  wx.onGetWifiList(onList);
  wx.getWifiList({ success() { order.push('success'); } });
  await until(() => listed !== null, 'onGetWifiList');
  eq(order, ['success', 'list'], 'success before the list');
  eq(listed.wifiList.map((w) => w.SSID), ['wxudp'], 'the list');
  wx.offGetWifiList(onList);

  // connectWifi to the network it is on: ok, onWifiConnected, no network change.
  const events = [];
  function onConnected(res) { events.push('connected ' + res.wifi.SSID + ' ' + res.wifi.secure); }
  wx.onWifiConnected(onConnected);
  wx.onWifiConnectedWithPartialInfo(function (res) { events.push('partial ' + JSON.stringify(res.wifi)); });
  wx.onNetworkStatusChange(function () { events.push('network'); });
  const joined = await wx.connectWifi({ SSID: 'wxudp', password: 'any-passphrase' });
  eq(joined, { errMsg: 'connectWifi:ok', errCode: 0 }, 'connectWifi');
  await until(() => events.length >= 2, 'onWifiConnected');
  eq(events, ['connected wxudp true', 'partial {"SSID":"wxudp"}'], 'events, and no network change');
  wx.offWifiConnected(onConnected);
  const withInfo = await wx.connectWifi({ SSID: 'wxudp', password: 'any-passphrase', partialInfo: true });
  eq(withInfo.wifi, platform === 'ios' ? undefined : { SSID: 'wxudp' }, 'partialInfo on connectWifi (Android only)');

  // 12004: a second connectWifi before the first answered.
  const first = wx.connectWifi({ SSID: 'wxudp', password: 'any-passphrase' });
  const second = await rejection(wx.connectWifi({ SSID: 'wxudp', password: 'any-passphrase' }));
  eq(second, { errMsg: 'connectWifi:fail duplicate request', errCode: 12004 }, 'duplicate');
  eq((await first).errCode, 0, 'the first goes on');

  // 12008: no SSID, an empty one, one that is not in range.
  for (const bad of [{ password: 'x' }, { SSID: '', password: 'x' }, { SSID: 'ESP_5CCF7F', password: '' }]) {
    eq(await rejection(wx.connectWifi(bad)), { errMsg: 'connectWifi:fail invalid SSID', errCode: 12008 }, JSON.stringify(bad));
  }

  // A passphrase no WPA2 network takes: 12002 on Android, 12014 on iOS.
  const short = await rejection(wx.connectWifi({ SSID: 'wxudp', password: 'short' }));
  if (platform === 'ios') eq(short, { errMsg: 'connectWifi:fail invalid WEP / WPA password', errCode: 12014 }, 'iOS key');
  else eq(short, { errMsg: 'connectWifi:fail password error Wi-Fi', errCode: 12002 }, 'password');

  // stopWifi, then 12000 again.
  eq(await wx.stopWifi(), { errMsg: 'stopWifi:ok', errCode: 0 }, 'stopWifi');
  eq((await rejection(wx.getConnectedWifi())).errCode, 12000, 'after stopWifi');
  await wx.startWifi();
});
