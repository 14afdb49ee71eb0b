// Part of the prelude (wx/mod.rs assembles it): the UI of a headless run: toasts and loading are printed; modals and action sheets take the user's answer from --answers (wx/ui/mod.rs), print it, and answer as WeChat does.
const ANSWERS = JSON.parse(N.answersJson);
// The next answer of `api`'s queue, or undefined once it is empty (the default).
function nextAnswer(api) {
  const queue = ANSWERS[api];
  return Array.isArray(queue) && queue.length ? queue.shift() : undefined;
}
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
// Cancelling is a success: { confirm: false, cancel: true }. With `editable`
// (2.17.1), `content` is the text the user typed (the answer's, else none).
wx.showModal = asyncApi('showModal', function (o) {
  const answer = nextAnswer('showModal');
  const cancel = answer === 'cancel' || (answer !== null && typeof answer === 'object' && (answer.cancel === true || answer.confirm === false));
  const editable = o.editable === true && versionAtLeast('2.17.1');
  const typed = answer !== null && typeof answer === 'object' && typeof answer.content === 'string' ? answer.content : '';
  const shown = [o.title, o.content].filter(function (x) { return x !== undefined && x !== ''; }).join(': ');
  N.print('ui', '[wx.showModal] ' + shown + (editable ? ' (editable' + (o.placeholderText ? ', "' + o.placeholderText + '"' : '') + ')' : '') +
    ' -> ' + (cancel ? 'cancel' : 'confirm') + (editable && !cancel ? ', content ' + JSON.stringify(typed) : ''));
  const res = { confirm: !cancel, cancel: cancel };
  if (editable) res.content = cancel ? '' : typed;
  return res;
});
// The index tapped (from 0), or `showActionSheet:fail cancel`.
wx.showActionSheet = asyncApi('showActionSheet', function (o) {
  const items = o.itemList;
  if (!Array.isArray(items) || items.length === 0) {
    throw { errMsg: 'showActionSheet:fail parameter error: parameter.itemList should have at least 1 item;' };
  }
  if (items.length > 6) throw { errMsg: 'showActionSheet:fail parameter error: itemList should not be large than 6' };
  const answer = nextAnswer('showActionSheet');
  const index = typeof answer === 'number' ? answer : answer !== null && typeof answer === 'object' ? answer.tapIndex : answer === 'cancel' ? -1 : 0;
  if (index >= items.length) {
    N.reportError(new Error('--answers: showActionSheet answered ' + index + ' but the sheet has ' + items.length + ' items'));
  }
  const cancel = index < 0 || index >= items.length;
  N.print('ui', '[wx.showActionSheet] ' + items.map(String).join(' | ') + ' -> ' + (cancel ? 'cancel' : index + ' (' + items[index] + ')'));
  if (cancel) throw { errMsg: 'showActionSheet:fail cancel' };
  return { tapIndex: index };
});
[['showModal.object.editable', '2.17.1'], ['showModal.object.placeholderText', '2.17.1'], ['showModal.success.cancel', '1.1.0'],
  ['showActionSheet', '1.0.0'], ['showActionSheet.object.alertText', '2.14.0']].forEach(function (e) { canIUseTable[e[0]] = e[1]; });
