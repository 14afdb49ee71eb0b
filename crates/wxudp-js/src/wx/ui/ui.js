// Part of the prelude (wx/mod.rs assembles it): the UI of a headless run: toasts and loading are printed; the prompts (modals, action sheets, permissions, login) take the user's answers from --answers (prompts.js), print them, and answer as WeChat does.
function ui(name, describe, result) {
  return asyncApi(name, function (o) {
    N.print('ui', '[wx.' + name + '] ' + describe(o));
    return result || {};
  });
}
wx.showToast = ui('showToast', function (o) { return String(o.title === undefined ? '' : o.title); });
wx.hideToast = ui('hideToast', function () { return ''; });
wx.showLoading = ui('showLoading', function (o) { return String(o.title === undefined ? '' : o.title); });
wx.hideLoading = ui('hideLoading', function () { return ''; });
// showModal, showActionSheet, login, checkSession, authorize, getSetting, openSetting,
// getUserProfile: answered from --answers (prompts.js).
Object.assign(wx, PROMPTS.api);
PROMPTS.since.forEach(function (e) { canIUseTable[e[0]] = e[1]; });
