// Part of the prelude (wx/mod.rs assembles it): the last slice: the other super-apps' names for wx, and the hooks handed back to the event loop.
// Other super-apps' and frameworks' names for the same API (docs/CONTRACT.md §10).
['uni', 'Taro', 'qq', 'tt', 'ks'].forEach(function (name) { global[name] = wx; });
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
