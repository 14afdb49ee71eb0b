// Part of the prelude (wx/mod.rs assembles it): the last slice: the other super-apps' names for wx, and the hooks handed back to the event loop.
// Other super-apps' and frameworks' names for the same API (docs/CONTRACT.md §10).
['uni', 'Taro', 'qq', 'tt', 'ks'].forEach(function (name) { global[name] = wx; });

// wx's prototype becomes a Proxy that sees only the names wx lacks (own properties are
// found first: the APIs it has cost nothing more). Each such name is noted with where
// the script looked it up, so that a "not a function" TypeError at that place can name
// the API (runtime/exception.rs). Feature detection is unchanged: `wx.foo` is still
// undefined, `'foo' in wx` false. The other names above are the same object.
(function () {
  const base = Object.getPrototypeOf(wx);
  const note = N.noteMissingWx;
  Object.setPrototypeOf(wx, new Proxy(base, {
    get: function (target, key, receiver) {
      if (typeof key === 'string' && !(key in target)) note(key, String(new Error().stack || ''));
      return Reflect.get(target, key, receiver);
    },
  }));
})();
if (project.kind === 'minigame') global.GameGlobal = global;

// The app-service layer's own globals: `global`, a writable object every module shares
// (distinct from the global scope, as in WeChat: `global.x = 1` declares no variable
// `x`), and `__wxConfig` (package/natives.rs), whose `env` is `wx.env`.
global.global = {};
global.__wxConfig = JSON.parse(N.wxConfigJson);
wx.env = global.__wxConfig.env;

function runMain(path) {
  if (project.kind !== 'miniprogram') {
    load(path);
    return;
  }
  loadComponents(path);
  load(path);
  const page = makePage(project.entry, launch.query);
  stack.push(page);
  start(page);
}

return {
  runMain: runMain,
  appHide: hideAll,
};
