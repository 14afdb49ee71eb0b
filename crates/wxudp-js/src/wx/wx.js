// Part of the prelude (wx/mod.rs assembles it): the `wx` object and what its APIs share: the success/fail/complete-or-Promise shape, listener lists, and wx.canIUse with its table of base-library versions.
const versionAtLeast = N.versionAtLeast;

const wx = {};

global.wx = wx;

// The prompts and the answers to them, and WeChat's callbacks-or-Promise shape, are
// shared with the Node package (crates/wxudp-node/prompts.js, evaluated just above).
const PROMPTS = makePrompts({
  answers: JSON.parse(N.answersJson),
  source: N.answersSource,
  print: function (line) { N.print('ui', line); },
  versionAtLeast: versionAtLeast,
  reportError: N.reportError,
});
const settle = PROMPTS.settle;
const asyncApi = PROMPTS.asyncApi;

// [name, since]: what wx.canIUse answers true for: the UDP API from the core's table
// (wxudp::frontend::can_i_use), then the rest of what this runtime provides.
const CAN_I_USE = JSON.parse(N.udpCanIUse).concat([
  ['canIUse', '1.1.1'], ['getLocalIPAddress', '2.20.1'], ['getSystemInfoSync', '1.0.0'],
  ['getSystemInfo', '1.0.0'], ['getDeviceInfo', '2.20.1'], ['getWindowInfo', '2.20.1'],
  ['getAppBaseInfo', '2.20.1'], ['getSystemSetting', '2.20.1'], ['getAppAuthorizeSetting', '2.20.1'],
  ['navigateTo', '1.0.0'], ['redirectTo', '1.0.0'], ['navigateBack', '1.0.0'], ['reLaunch', '1.1.0'],
  ['switchTab', '1.0.0'], ['getNetworkType', '1.0.0'], ['onNetworkStatusChange', '1.1.0'],
  ['offNetworkStatusChange', '2.9.3'],
  ['getStorageSync', '1.0.0'], ['setStorageSync', '1.0.0'], ['removeStorageSync', '1.0.0'],
  ['clearStorageSync', '1.0.0'], ['getStorage', '1.0.0'], ['setStorage', '1.0.0'],
  ['removeStorage', '1.0.0'], ['clearStorage', '1.0.0'],
  ['showToast', '1.0.0'], ['showModal', '1.0.0'], ['showLoading', '1.1.0'], ['hideLoading', '1.1.0'],
  ['hideToast', '1.0.0'],
  ['onAppShow', '2.1.2'], ['onAppHide', '2.1.2'], ['offAppShow', '2.1.2'], ['offAppHide', '2.1.2'],
  ['arrayBufferToBase64', '1.1.0'], ['base64ToArrayBuffer', '1.1.0'],
]);
const canIUseTable = Object.create(null);
CAN_I_USE.forEach(function (e) { canIUseTable[e[0]] = e[1]; });
wx.canIUse = function (schema) {
  const since = canIUseTable[N.canIUseKey(String(schema))];
  return since !== undefined && versionAtLeast(since);
};

function listenerList() {
  const list = [];
  return {
    on: function (fn) { if (typeof fn === 'function') list.push(fn); },
    off: function (fn) {
      for (let i = list.length - 1; i >= 0; i--) if (fn === undefined || list[i] === fn) list.splice(i, 1);
    },
    emit: function (arg) {
      list.slice().forEach(function (fn) {
        try { fn(arg); } catch (e) { N.reportError(e); }
      });
    },
  };
}
