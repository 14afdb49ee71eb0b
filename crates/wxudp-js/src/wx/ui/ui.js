// Part of the prelude (wx/mod.rs assembles it): the UI calls a headless run answers: toasts, loading and modals are printed.
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
wx.showModal = ui('showModal', function (o) {
  return [o.title, o.content].filter(function (x) { return x !== undefined && x !== ''; }).join(': ');
}, { confirm: true, cancel: false });
