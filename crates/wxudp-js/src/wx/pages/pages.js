// Part of the prelude (wx/mod.rs assembles it): App / Page / Component: the registration functions, data and setData, the lifecycle and navigation.
// Enough of the framework for page and app files copied from a project to run: the
// registration functions, `this.data`/`setData`, and the lifecycle (launch, load, show,
// ready; hide and unload on Ctrl-C).
function call(obj, name, arg) {
  if (obj && typeof obj[name] === 'function') {
    if (N.noting) N.note('life', (obj.route ? obj.route + ' ' : obj === appInstance ? 'App ' : '') + name);
    try { obj[name](arg); } catch (e) { N.reportError(e); }
  }
}
function copyData(data) {
  return data === undefined ? {} : JSON.parse(JSON.stringify(data));
}

// What the run runs (package/project.rs): a script, a mini program (app.js, then the entry
// page) or a mini game (game.js, with GameGlobal).
const project = JSON.parse(N.projectJson);
const ROOT = project.root;
const PAGES = project.pages;

// The route of a module file: its path in the package without the extension.
function routeOf(path) {
  if (typeof path !== 'string' || path.indexOf(ROOT + '/') !== 0) return '';
  return path.slice(ROOT.length + 1).replace(/\.(js|ts|mjs|cjs)$/, '');
}
// Query strings as WeChat hands them to onLoad: values as written (not decoded).
function parseQuery(text) {
  const query = {};
  String(text || '').split('&').forEach(function (pair) {
    if (pair === '') return;
    const i = pair.indexOf('=');
    query[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
  });
  return query;
}

let appInstance = null;
// The page stack (getCurrentPages), and every page made during the run (--report).
const stack = [];
const everyPage = [];
const definitions = Object.create(null);
const launch = { path: project.entry || '', query: parseQuery(project.query), scene: 1001, referrerInfo: {} };
global.App = function (options) {
  appInstance = Object.assign(appInstance || {}, options);
  if (!appInstance.globalData) appInstance.globalData = {};
  setTimeout(function () {
    call(appInstance, 'onLaunch', launch);
    call(appInstance, 'onShow', launch);
    appShow.emit(launch);
  }, 0);
};
global.getApp = function () {
  if (!appInstance) appInstance = { globalData: {} };
  return appInstance;
};
global.getCurrentPages = function () { return stack.slice(); };

// A page instance of a definition (Page options or a Component used as a page).
function instantiate(def, route, query) {
  let page;
  if (def.kind === 'page') {
    page = Object.assign({}, def.options || {});
    page.data = copyData(page.data);
    page.setData = setData;
  } else {
    const opts = def.options || {};
    page = Object.assign({}, opts.methods || {});
    page.data = copyData(opts.data);
    page.properties = {};
    page.setData = setData;
    const life = opts.lifetimes || {};
    page.__hook = function (name) {
      const fn = life[name] || opts[name];
      if (typeof fn === 'function') call({ f: fn.bind(page) }, 'f');
    };
    page.__component = true;
  }
  page.route = route;
  page.__route__ = route;
  page.options = query;
  page.__state = 'loading';
  everyPage.push(page);
  return page;
}
function showPage(page) { page.__state = 'shown'; call(page, 'onShow'); }
function hidePage(page) { page.__state = 'hidden'; call(page, 'onHide'); }
function unloadPage(page) {
  page.__state = 'unloaded';
  call(page, 'onUnload');
  if (page.__component) page.__hook('detached');
}
// Runs a new page's lifecycle, as WeChat does, after what is already queued.
function start(page) {
  setTimeout(function () {
    if (page.__component) {
      page.__hook('created');
      page.__hook('attached');
    }
    call(page, 'onLoad', page.options);
    showPage(page);
    if (page.__component) page.__hook('ready');
    call(page, 'onReady');
  }, 0);
}

// In a script run, Page() and Component() start the page at once; in a project,
// they define the page their file is loaded for.
let loadingRoute = null;
function define(kind, options) {
  if (project.kind === 'miniprogram' && loadingRoute !== null) {
    definitions[loadingRoute] = { kind: kind, options: options };
    return;
  }
  const route = routeOf(currentFile());
  const page = instantiate({ kind: kind, options: options }, route, {});
  stack.push(page);
  start(page);
}
global.Page = function (options) { define('page', options); };
global.Component = function (options) { define('component', options); };
global.Behavior = function (options) { return options; };

// Loads the files of the components the page or component at `file` lists in its
// JSON's usingComponents (theirs first), each once, as WeChat registers them before the
// page: their Component() calls define them, under their own path.
function loadComponents(file) {
  N.components(file).forEach(function (component) {
    if (cache[component]) return;
    loadComponents(component);
    const outer = loadingRoute;
    loadingRoute = 'component:' + routeOf(component);
    try { load(component); } finally { loadingRoute = outer; }
  });
}

// Loads the file of `route` (once) and makes a page of it; throws what loading throws.
function makePage(route, query) {
  if (!definitions[route]) {
    const file = N.pageFile(route);
    if (!file) throw new Error('page "' + route + '" has no ' + route + '.js or .ts');
    loadComponents(file);
    const outer = loadingRoute;
    loadingRoute = route;
    try { load(file); } finally { loadingRoute = outer; }
    if (!definitions[route]) {
      throw new Error('page "' + route + '" did not call Page() or Component()');
    }
  }
  return instantiate(definitions[route], route, query);
}

// Navigation (wx.navigateTo and friends): only to pages app.json lists, 10 deep at
// most, each switch after what is already queued; success, fail and complete, or a
// Promise.
function resolveUrl(url) {
  const text = String(url === undefined ? '' : url);
  const q = text.indexOf('?');
  let path = q < 0 ? text : text.slice(0, q);
  const query = q < 0 ? '' : text.slice(q + 1);
  if (path.charAt(0) !== '/') {
    const current = stack.length ? stack[stack.length - 1].route : '';
    path = current.split('/').slice(0, -1).concat(path.split('/')).join('/');
  }
  const parts = [];
  path.split('/').forEach(function (seg) {
    if (seg === '' || seg === '.') return;
    if (seg === '..') parts.pop(); else parts.push(seg);
  });
  return { route: parts.join('/').replace(/\.(js|ts)$/, ''), query: parseQuery(query) };
}
function navigation(name, change) {
  return function (options) {
    const opts = options || {};
    const promise = new Promise(function (resolve, reject) {
      setTimeout(function () {
        try {
          if (project.kind !== 'miniprogram') {
            throw new Error('no pages: run a mini-program project folder (with app.json) to navigate');
          }
          change(opts);
          resolve({ errMsg: name + ':ok' });
        } catch (e) {
          reject({ errMsg: name + ':fail ' + (e && e.message ? e.message : String(e)) });
        }
      }, 0);
    });
    return settle(opts, promise);
  };
}
function target(opts) {
  const t = resolveUrl(opts.url);
  if (PAGES.indexOf(t.route) < 0) throw new Error('page "' + t.route + '" is not found');
  return t;
}
wx.navigateTo = navigation('navigateTo', function (opts) {
  const t = target(opts);
  if (stack.length >= 10) throw new Error('webview count limit exceed');
  const page = makePage(t.route, t.query);
  if (stack.length) hidePage(stack[stack.length - 1]);
  stack.push(page);
  start(page);
});
wx.redirectTo = navigation('redirectTo', function (opts) {
  const t = target(opts);
  const page = makePage(t.route, t.query);
  if (stack.length) unloadPage(stack.pop());
  stack.push(page);
  start(page);
});
function relaunch(opts) {
  const t = target(opts);
  const page = makePage(t.route, t.query);
  while (stack.length) unloadPage(stack.pop());
  stack.push(page);
  start(page);
}
wx.reLaunch = navigation('reLaunch', relaunch);
wx.switchTab = navigation('switchTab', relaunch);
wx.navigateBack = navigation('navigateBack', function (opts) {
  if (stack.length <= 1) throw new Error('cannot navigate back at first page.');
  const delta = Math.max(1, Math.floor(Number(opts.delta) || 1));
  for (let i = 0; i < delta && stack.length > 1; i++) unloadPage(stack.pop());
  showPage(stack[stack.length - 1]);
});

function hideAll() {
  appHide.emit({});
  call(appInstance, 'onHide');
  if (stack.length) hidePage(stack[stack.length - 1]);
  stack.slice().reverse().forEach(unloadPage);
}

// --report: every page made, its route, query, state and data, as JSON text.
// A page's data over 8 MiB is not written (the report stays readable, and quick).
const REPORT_DATA_LIMIT = 8 * 1024 * 1024;
N.setPagesReporter(function () {
  return JSON.stringify(everyPage.map(function (p) {
    let data;
    try {
      const value = p.data === undefined ? null : p.data;
      data = jsonSize(value, REPORT_DATA_LIMIT) > REPORT_DATA_LIMIT ? '<more than 8 MiB: not written>' : JSON.parse(JSON.stringify(value));
    } catch (e) { data = '<cannot be written as JSON: ' + e.message + '>'; }
    return { route: p.route, query: p.options, state: p.__state, inStack: stack.indexOf(p) >= 0, data: data };
  }));
});
