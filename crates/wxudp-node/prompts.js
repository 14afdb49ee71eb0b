// The prompts a page shows and the user's answers to them, shared by the two hosts of
// the wx API: `wxudp run` (its prelude includes this file: crates/wxudp-js/src/wx/mod.rs)
// and this package (index.js requires it for `install(wx, { answers })`). It exports one
// function of what the host gives, which returns the APIs.
//
// The answers: per API a queue, each prompt taking the next answer; once a queue is
// empty, the default (confirm, the first item, allow). Every prompt is printed with the
// answer it got.
//
//   { "showModal": ["confirm", "cancel", { "confirm": true, "content": "typed" }],
//     "showActionSheet": [2, "cancel"],
//     "authorize": { "scope.userLocation": "deny" }   (or a queue: ["deny", "allow"]),
//     "getUserProfile": ["deny"], "openSetting": [{ "scope.userLocation": true }],
//     "checkSession": ["expired"] }
'use strict';

module.exports = function makePrompts(host) {
  // host: { answers, source (where they came from, for errors), print(line),
  //         versionAtLeast(version), reportError(error) }
  const answers = host.answers === undefined || host.answers === null ? {} : host.answers;
  const print = host.print;
  const versionAtLeast = host.versionAtLeast;

  // ------------------------------------------------------------- the answers, checked
  function typeOf(v) {
    return v === null ? 'Null' : Array.isArray(v) ? 'Array' : Object.prototype.toString.call(v).slice(8, -1);
  }
  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  const WORDS = { getUserProfile: ['allow', 'deny'], checkSession: ['ok', 'expired'], authorize: ['allow', 'deny'] };
  const CHECKS = {
    showModal: function (a) {
      if (a === 'confirm' || a === 'cancel') return null;
      if (isObject(a) && Object.keys(a).every(function (k) { return ['confirm', 'cancel', 'content'].indexOf(k) >= 0; }) &&
        (a.content === undefined || typeof a.content === 'string')) return null;
      return '"confirm", "cancel" or {"confirm": true, "content": "..."}';
    },
    showActionSheet: function (a) {
      const i = isObject(a) ? a.tapIndex : a;
      if (a === 'cancel' || (Number.isInteger(i) && i >= 0 && i < 6)) return null;
      return 'a tapIndex from 0 to 5, or "cancel"';
    },
    openSetting: function (a) {
      if (isObject(a) && Object.keys(a).every(function (k) { return k.indexOf('scope.') === 0 && typeof a[k] === 'boolean'; })) return null;
      return 'the settings the user leaves: {"scope.userLocation": true, ...}';
    },
  };
  ['getUserProfile', 'checkSession', 'authorize'].forEach(function (api) {
    CHECKS[api] = function (a) {
      return WORDS[api].indexOf(a) >= 0 ? null : WORDS[api].map(function (w) { return '"' + w + '"'; }).join(' or ');
    };
  });
  function refuse(what) { throw new Error((host.source ? host.source + ': ' : '') + what); }
  if (!isObject(answers)) refuse('the answers must be a JSON object (an API name to its answers)');
  Object.keys(answers).forEach(function (api) {
    const check = CHECKS[api];
    const value = answers[api];
    if (!check) {
      refuse(api + ': no such prompt (answers are for ' + Object.keys(CHECKS).join(', ') + ')');
    }
    if (api === 'authorize' && isObject(value)) {
      Object.keys(value).forEach(function (scope) {
        if (scope.indexOf('scope.') !== 0 || check(value[scope]) !== null) {
          refuse('authorize.' + scope + ': "allow" or "deny" for a scope (scope.userLocation, ...)');
        }
      });
      return;
    }
    if (!Array.isArray(value)) refuse(api + ': a list of answers, in the order of the prompts (found ' + typeOf(value) + ')');
    value.forEach(function (a, i) {
      const wrong = check(a);
      if (wrong !== null) refuse(api + '[' + i + ']: ' + wrong);
    });
  });
  // A copy: the queues are used up as the page asks.
  const queues = JSON.parse(JSON.stringify(answers));
  function nextAnswer(api) {
    const queue = queues[api];
    return Array.isArray(queue) && queue.length ? queue.shift() : undefined;
  }

  // ------------------------------------------------------------- callbacks or a Promise
  // How WeChat's asynchronous APIs answer: through success/fail/complete when any is
  // given (and then nothing is returned), otherwise with the Promise itself.
  function settle(opts, promise) {
    const hasCallback = ['success', 'fail', 'complete'].some(function (k) { return typeof opts[k] === 'function'; });
    if (!hasCallback) return promise;
    promise.then(function (res) {
      if (typeof opts.success === 'function') opts.success(res);
      if (typeof opts.complete === 'function') opts.complete(res);
    }, function (err) {
      if (typeof opts.fail === 'function') opts.fail(err);
      if (typeof opts.complete === 'function') opts.complete(err);
    }).catch(host.reportError);
    return undefined;
  }
  // Runs `fn(options)` the way WeChat's asynchronous APIs do. A thrown `{ errMsg }` is
  // the failure as it is; anything else thrown becomes `name:fail message`.
  function asyncApi(name, fn) {
    return function (options) {
      const opts = options || {};
      const promise = new Promise(function (resolve, reject) {
        let result;
        try {
          result = fn(opts);
        } catch (e) {
          reject(e && typeof e.errMsg === 'string' ? e : { errMsg: name + ':fail ' + (e && e.message ? e.message : String(e)) });
          return;
        }
        resolve(Object.assign({ errMsg: name + ':ok' }, result));
      });
      return settle(opts, promise);
    };
  }

  // ------------------------------------------------------------- the prompts
  const api = {};
  // Cancelling is a success: { confirm: false, cancel: true }. With `editable` (2.17.1),
  // `content` is the text the user typed (the answer's, else none).
  api.showModal = asyncApi('showModal', function (o) {
    const answer = nextAnswer('showModal');
    const cancel = answer === 'cancel' || (isObject(answer) && (answer.cancel === true || answer.confirm === false));
    const editable = o.editable === true && versionAtLeast('2.17.1');
    const typed = isObject(answer) && typeof answer.content === 'string' ? answer.content : '';
    const shown = [o.title, o.content].filter(function (x) { return x !== undefined && x !== ''; }).join(': ');
    print('[wx.showModal] ' + shown + (editable ? ' (editable' + (o.placeholderText ? ', "' + o.placeholderText + '"' : '') + ')' : '') +
      ' -> ' + (cancel ? 'cancel' : 'confirm') + (editable && !cancel ? ', content ' + JSON.stringify(typed) : ''));
    const res = { confirm: !cancel, cancel: cancel };
    if (editable) res.content = cancel ? '' : typed;
    return res;
  });
  // The index tapped (from 0), or showActionSheet:fail cancel.
  api.showActionSheet = asyncApi('showActionSheet', function (o) {
    const items = o.itemList;
    if (!Array.isArray(items) || items.length === 0) {
      throw { errMsg: 'showActionSheet:fail parameter error: parameter.itemList should have at least 1 item;' };
    }
    if (items.length > 6) throw { errMsg: 'showActionSheet:fail parameter error: itemList should not be large than 6' };
    const answer = nextAnswer('showActionSheet');
    const index = typeof answer === 'number' ? answer : isObject(answer) ? answer.tapIndex : answer === 'cancel' ? -1 : 0;
    if (index >= items.length) {
      host.reportError(new Error('answers: showActionSheet answered ' + index + ' but the sheet has ' + items.length + ' items'));
    }
    const cancel = index < 0 || index >= items.length;
    print('[wx.showActionSheet] ' + items.map(String).join(' | ') + ' -> ' + (cancel ? 'cancel' : index + ' (' + items[index] + ')'));
    if (cancel) throw { errMsg: 'showActionSheet:fail cancel' };
    return { tapIndex: index };
  });

  // The scopes asked so far (WeChat's getSetting lists only those), and the prompt of
  // a scope: asked once, its answer kept.
  const authSetting = {};
  function promptScope(scope) {
    if (Object.prototype.hasOwnProperty.call(authSetting, scope)) return authSetting[scope];
    const byScope = queues.authorize;
    let answer;
    if (Array.isArray(byScope)) answer = byScope.length ? byScope.shift() : 'allow';
    else answer = isObject(byScope) && typeof byScope[scope] === 'string' ? byScope[scope] : 'allow';
    print('[wx.authorize] ' + scope + ' -> ' + answer);
    authSetting[scope] = answer === 'allow';
    return authSetting[scope];
  }
  api.authorize = asyncApi('authorize', function (o) {
    if (typeof o.scope !== 'string') {
      throw { errMsg: 'authorize:fail parameter error: parameter.scope should be String instead of ' + typeOf(o.scope) + ';' };
    }
    if (!promptScope(o.scope)) throw { errMsg: 'authorize:fail auth deny' };
    return {};
  });
  api.getSetting = asyncApi('getSetting', function (o) {
    const res = { authSetting: Object.assign({}, authSetting) };
    if (o.withSubscriptions === true) res.subscriptionsSetting = { mainSwitch: true, itemSettings: {} };
    return res;
  });
  // The settings page: the user leaves the scopes as the answer says (default unchanged).
  api.openSetting = asyncApi('openSetting', function () {
    const change = nextAnswer('openSetting');
    print('[wx.openSetting] -> ' + (change ? JSON.stringify(change) : 'unchanged'));
    if (change) Object.assign(authSetting, change);
    return { authSetting: Object.assign({}, authSetting) };
  });
  // A fresh code each call; a fake: no server knows it.
  let codes = 0;
  api.login = asyncApi('login', function () {
    codes += 1;
    let code = '';
    for (let i = 0; i < 24; i++) code += Math.floor(Math.random() * 36).toString(36);
    return { code: 'wxudp' + String(codes).padStart(3, '0') + code };
  });
  api.checkSession = asyncApi('checkSession', function () {
    const answer = nextAnswer('checkSession');
    print('[wx.checkSession] -> ' + (answer || 'ok'));
    if (answer === 'expired') throw { errMsg: 'checkSession:fail session time out, need relogin' };
    return {};
  });
  api.getUserProfile = asyncApi('getUserProfile', function (o) {
    if (typeof o.desc !== 'string' || o.desc.length === 0 || o.desc.length > 30) {
      throw { errMsg: 'getUserProfile:fail desc length does not meet the requirements' };
    }
    const answer = nextAnswer('getUserProfile') || 'allow';
    print('[wx.getUserProfile] ' + o.desc + ' -> ' + answer);
    if (answer === 'deny') throw { errMsg: 'getUserProfile:fail auth deny' };
    const userInfo = {
      nickName: '微信用户', avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132',
      gender: 0, country: '', province: '', city: '', language: o.lang || 'en',
    };
    return { userInfo: userInfo, rawData: JSON.stringify(userInfo), signature: '', encryptedData: '', iv: '', cloudID: '' };
  });

  return {
    api: api,
    asyncApi: asyncApi,
    settle: settle,
    nextAnswer: nextAnswer,
    promptScope: promptScope,
    // [name, since] for wx.canIUse.
    since: [['showModal', '1.0.0'], ['showModal.object.editable', '2.17.1'], ['showModal.object.placeholderText', '2.17.1'],
      ['showModal.success.cancel', '1.1.0'], ['showActionSheet', '1.0.0'], ['showActionSheet.object.alertText', '2.14.0'],
      ['login', '1.0.0'], ['login.object.timeout', '1.9.90'], ['checkSession', '1.0.0'], ['getSetting', '1.2.0'],
      ['getSetting.object.withSubscriptions', '2.10.1'], ['authorize', '1.2.0'], ['openSetting', '1.1.0'],
      ['getUserProfile', '2.10.4']],
  };
};
