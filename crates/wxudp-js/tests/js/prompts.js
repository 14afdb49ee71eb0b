// Prompts answered from --answers (the fixture's answers are set by fixtures.rs):
// showModal, showActionSheet, authorize, getSetting, openSetting, login, checkSession,
// getUserProfile.
const { eq, assert, run } = require('./harness.js');

run(async function () {
  let r = await wx.showModal({ title: 'Wi-Fi', editable: true });
  eq([r.confirm, r.cancel, r.content], [true, false, 'hunter22'], 'an editable modal gets the typed text');
  r = await wx.showModal({ title: 'Sure?' });
  eq([r.errMsg, r.confirm, r.cancel], ['showModal:ok', false, true], 'cancel is a success');
  r = await wx.showModal({ title: 'Again?' });
  eq([r.confirm, r.content], [true, undefined], 'an empty queue confirms');
  r = await wx.showActionSheet({ itemList: ['a', 'b', 'c'] });
  eq(r.tapIndex, 2, 'tapIndex');
  let e = await wx.showActionSheet({ itemList: ['a'] }).catch(function (x) { return x; });
  eq(e.errMsg, 'showActionSheet:fail cancel', 'cancelled sheet');
  e = await wx.showActionSheet({ itemList: [1, 2, 3, 4, 5, 6, 7] }).catch(function (x) { return x; });
  eq(e.errMsg, 'showActionSheet:fail parameter error: itemList should not be large than 6', 'seven items');
  r = await wx.showActionSheet({ itemList: ['x', 'y'] });
  eq(r.tapIndex, 0, 'an empty queue picks the first');

  e = await wx.authorize({ scope: 'scope.userLocation' }).catch(function (x) { return x; });
  eq(e.errMsg, 'authorize:fail auth deny', 'a denied scope');
  r = await wx.authorize({ scope: 'scope.camera' });
  eq(r.errMsg, 'authorize:ok', 'an allowed scope');
  r = await wx.getSetting();
  eq(r.authSetting, { 'scope.userLocation': false, 'scope.camera': true }, 'getSetting lists what was asked');
  r = await wx.openSetting();
  eq(r.authSetting['scope.userLocation'], true, 'the user turned location on');
  r = await wx.authorize({ scope: 'scope.userLocation' });
  eq(r.errMsg, 'authorize:ok', 'allowed after openSetting');

  const a = await wx.login();
  const b = await wx.login();
  assert(a.errMsg === 'login:ok' && typeof a.code === 'string' && a.code !== b.code, 'a fresh code each time');
  e = await wx.checkSession().catch(function (x) { return x; });
  eq(e.errMsg, 'checkSession:fail session time out, need relogin', 'an expired session');
  r = await wx.checkSession();
  eq(r.errMsg, 'checkSession:ok', 'then ok');
  e = await wx.getUserProfile({ desc: 'to show your name' }).catch(function (x) { return x; });
  eq(e.errMsg, 'getUserProfile:fail auth deny', 'profile refused');
  r = await wx.getUserProfile({ desc: 'to show your name' });
  eq(r.userInfo.nickName, '微信用户', 'profile');
  e = await wx.getUserProfile({}).catch(function (x) { return x; });
  eq(e.errMsg, 'getUserProfile:fail desc length does not meet the requirements', 'desc needed');

  // On Android, the Wi-Fi list needs scope.userLocation (allowed by now).
  await wx.startWifi();
  r = await wx.getWifiList();
  eq(r.errMsg, 'getWifiList:ok', 'getWifiList with location allowed');
});
