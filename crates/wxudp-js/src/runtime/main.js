// Part of the prelude (wx/mod.rs assembles it): the last slice: the other super-apps' names for wx, and the hooks handed back to the event loop.
// Other super-apps' and frameworks' names for the same API (docs/CONTRACT.md §10).
['uni', 'Taro', 'qq', 'tt', 'ks'].forEach(function (name) { global[name] = wx; });
if (project.kind === 'minigame') global.GameGlobal = global;

function runMain(path) {
  if (project.kind !== 'miniprogram') {
    load(path);
    return;
  }
  load(path);
  const page = makePage(project.entry, launch.query);
  stack.push(page);
  start(page);
}

return {
  runMain: runMain,
  appHide: hideAll,
};
