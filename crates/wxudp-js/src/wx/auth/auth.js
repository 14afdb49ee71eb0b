// Part of the prelude (wx/mod.rs assembles it): login and permissions. wx.login gives a fresh fake code each call (documented as fake: no server knows it); what the user allows comes from --answers and --deny (wx/ui/mod.rs), default allowed.
// authSetting holds the scopes asked so far, as WeChat's getSetting answers only those.
const authSetting = {};
let loginCodes = 0;
// The user's answer to the prompt of `scope` (asked once; later calls get the same).
function promptScope(scope) {
  if (Object.prototype.hasOwnProperty.call(authSetting, scope)) return authSetting[scope];
  const byScope = ANSWERS.authorize;
  let answer;
  if (Array.isArray(byScope)) answer = byScope.length ? byScope.shift() : 'allow';
  else answer = byScope && typeof byScope[scope] === 'string' ? byScope[scope] : 'allow';
  N.print('ui', '[wx.authorize] ' + scope + ' -> ' + answer);
  authSetting[scope] = answer === 'allow';
  return authSetting[scope];
}
function stringParam(api, name, value) {
  if (typeof value !== 'string') {
    const found = value === null ? 'Null' : Array.isArray(value) ? 'Array' : typeTag(value);
    throw { errMsg: api + ':fail parameter error: parameter.' + name + ' should be String instead of ' + found + ';' };
  }
}
wx.authorize = asyncApi('authorize', function (o) {
  stringParam('authorize', 'scope', o.scope);
  if (!promptScope(o.scope)) throw { errMsg: 'authorize:fail auth deny' };
  return {};
});
wx.getSetting = asyncApi('getSetting', function (o) {
  const res = { authSetting: Object.assign({}, authSetting) };
  if (o.withSubscriptions === true) res.subscriptionsSetting = { mainSwitch: true, itemSettings: {} };
  return res;
});
// The settings page: the user leaves the scopes as the answer says (default unchanged).
wx.openSetting = asyncApi('openSetting', function () {
  const change = nextAnswer('openSetting');
  N.print('ui', '[wx.openSetting] -> ' + (change ? JSON.stringify(change) : 'unchanged'));
  if (change) Object.assign(authSetting, change);
  return { authSetting: Object.assign({}, authSetting) };
});
wx.login = asyncApi('login', function () {
  loginCodes += 1;
  let code = '';
  for (let i = 0; i < 24; i++) code += Math.floor(Math.random() * 36).toString(36);
  return { code: 'wxudp' + String(loginCodes).padStart(3, '0') + code };
});
wx.checkSession = asyncApi('checkSession', function () {
  const answer = nextAnswer('checkSession');
  N.print('ui', '[wx.checkSession] -> ' + (answer || 'ok'));
  if (answer === 'expired') throw { errMsg: 'checkSession:fail session time out, need relogin' };
  return {};
});
wx.getUserProfile = asyncApi('getUserProfile', function (o) {
  if (typeof o.desc !== 'string' || o.desc.length === 0 || o.desc.length > 30) {
    throw { errMsg: 'getUserProfile:fail desc length does not meet the requirements' };
  }
  const answer = nextAnswer('getUserProfile') || 'allow';
  N.print('ui', '[wx.getUserProfile] ' + o.desc + ' -> ' + answer);
  if (answer === 'deny') throw { errMsg: 'getUserProfile:fail auth deny' };
  const userInfo = {
    nickName: '微信用户', avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132',
    gender: 0, country: '', province: '', city: '', language: o.lang || 'en',
  };
  return {
    userInfo: userInfo, rawData: JSON.stringify(userInfo), signature: '', encryptedData: '', iv: '', cloudID: '',
  };
});
[['login', '1.0.0'], ['login.object.timeout', '1.9.90'], ['checkSession', '1.0.0'], ['getSetting', '1.2.0'],
  ['getSetting.object.withSubscriptions', '2.10.1'], ['authorize', '1.2.0'], ['openSetting', '1.1.0'],
  ['getUserProfile', '2.10.4']].forEach(function (e) { canIUseTable[e[0]] = e[1]; });
