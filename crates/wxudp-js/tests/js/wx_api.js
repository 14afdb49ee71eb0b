// The wx functions besides createUDPSocket (docs/CONTRACT.md §9).
const { assert, eq, until, run } = require('./harness.js');

run(async function () {
  // canIUse.
  assert(wx.canIUse('getLocalIPAddress'), 'canIUse getLocalIPAddress');
  assert(wx.canIUse('UDPSocket.send.object.setBroadcast'), 'canIUse setBroadcast');
  assert(wx.canIUse('getNetworkType.success'), 'canIUse x.success');
  assert(!wx.canIUse('connectSocket'), 'canIUse of an API the runtime lacks');
  eq(typeof wx.connectSocket, 'undefined', 'a missing API is undefined, as on an old base library');
  assert(wx.canIUse('request') && wx.canIUse('RequestTask.onChunkReceived'), 'canIUse request');

  // getSystemInfoSync / getSystemInfo.
  const info = wx.getSystemInfoSync();
  eq(info.SDKVersion, '3.0.0', 'SDKVersion');
  eq(typeof info.platform, 'string', 'platform');
  assert(info.system.length > 0, 'system');
  const viaPromise = await wx.getSystemInfo();
  eq(viaPromise.errMsg, 'getSystemInfo:ok', 'getSystemInfo promise');

  // getNetworkType: callbacks and promise.
  let cb = null;
  let completed = false;
  wx.getNetworkType({ success(res) { cb = res; }, complete() { completed = true; } });
  await until(() => completed, 'getNetworkType complete');
  assert(cb.networkType === 'wifi' || cb.networkType === 'none', 'networkType ' + cb.networkType);
  eq(cb.errMsg, 'getNetworkType:ok', 'errMsg');
  eq((await wx.getNetworkType()).networkType, cb.networkType, 'promise form');

  // getLocalIPAddress: a real address of this host, or a fail with errMsg.
  let local = null;
  let failed = null;
  wx.getLocalIPAddress({ success(res) { local = res; }, fail(err) { failed = err; } });
  await until(() => local || failed, 'getLocalIPAddress');
  if (local) {
    assert(/^\d+\.\d+\.\d+\.\d+$/.test(local.localip) && local.localip.indexOf('127.') !== 0, 'localip ' + local.localip);
    assert(/^\d+\.\d+\.\d+\.\d+$/.test(local.netmask), 'netmask ' + local.netmask);
    eq(local.errMsg, 'getLocalIPAddress:ok', 'errMsg');
    const p = await wx.getLocalIPAddress();
    eq(p.localip, local.localip, 'promise form');
  } else {
    eq(failed.errMsg.indexOf('getLocalIPAddress:fail'), 0, 'fail errMsg');
  }

  // Storage.
  eq(wx.getStorageSync('missing'), '', 'missing key');
  wx.setStorageSync('device', { ip: '192.0.2.10', port: 4210 });
  wx.setStorageSync('count', 3);
  eq(wx.getStorageSync('device'), { ip: '192.0.2.10', port: 4210 }, 'object value');
  eq(wx.getStorageSync('count'), 3, 'number value');
  wx.removeStorageSync('count');
  eq(wx.getStorageSync('count'), '', 'removed');
  const got = await wx.getStorage({ key: 'device' }).catch(e => e);
  eq(got.data.port, 4210, 'getStorage promise');
  let missing = null;
  wx.getStorage({ key: 'nope', fail(e) { missing = e; } });
  await until(() => missing, 'getStorage fail');
  eq(missing.errMsg, 'getStorage:fail data not found', 'getStorage fail');
  let threw = false;
  try { wx.setStorageSync(1, 'x'); } catch (e) { threw = true; }
  assert(threw, 'a non-string key throws');
  wx.clearStorageSync();
  eq(wx.getStorageSync('device'), '', 'cleared');

  // UI calls are printed, and their callbacks run.
  const ui = [];
  wx.showToast({ title: 'sent', icon: 'none', success() { ui.push('toast'); } });
  wx.showLoading({ title: 'scanning', complete() { ui.push('loading'); } });
  wx.hideLoading();
  wx.showModal({ title: 'Wi-Fi', content: 'connect?', success(res) { ui.push(res.confirm ? 'confirm' : 'cancel'); } });
  await until(() => ui.length === 3, 'ui callbacks');
  eq(ui, ['toast', 'loading', 'confirm'], 'ui');
  eq((await wx.showModal({ title: 'x' })).confirm, true, 'showModal promise');

  // Base64 helpers.
  eq(wx.arrayBufferToBase64(new Uint8Array([0xde, 0xad, 0xbe, 0xef]).buffer), '3q2+7w==', 'arrayBufferToBase64');
  eq(wx.arrayBufferToBase64(new TextEncoder().encode('hello')), 'aGVsbG8=', 'from a view');
  eq(wx.arrayBufferToBase64(new ArrayBuffer(0)), '', 'empty');
  eq(Array.from(new Uint8Array(wx.base64ToArrayBuffer('3q2+7w=='))), [0xde, 0xad, 0xbe, 0xef], 'base64ToArrayBuffer');
  eq(new TextDecoder().decode(wx.base64ToArrayBuffer('aGVsbG8gd29ybGQ=')), 'hello world', 'round trip');
  assert(wx.base64ToArrayBuffer('') instanceof ArrayBuffer, 'an ArrayBuffer');

  // App and network listeners register and unregister.
  const f = () => {};
  wx.onAppShow(f); wx.offAppShow(f);
  wx.onAppHide(f); wx.offAppHide();
  wx.onNetworkStatusChange(f); wx.offNetworkStatusChange(f);
});
