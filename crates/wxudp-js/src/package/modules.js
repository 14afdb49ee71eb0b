// Part of the prelude (wx/mod.rs assembles it): CommonJS require over the natives of package/modules.rs, and the interop helpers of ES modules compiled to CommonJS.
const cache = Object.create(null);
const loading = [];
function currentFile() { return loading.length ? loading[loading.length - 1] : ''; }
function dirname(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
// The natives read only the main script and files inside the package (package/modules.rs),
// whoever calls them. An ES module or a .ts file arrives compiled to CommonJS (the
// way WeChat's build compiles a project: `import` of a CommonJS module gets its
// exports as the default export, `require` of an ES module gets its namespace).
function load(path) {
  if (cache[path]) return cache[path].exports;
  const module = { id: path, filename: path, exports: {}, loaded: false, children: [] };
  cache[path] = module;
  loading.push(path);
  try {
    if (/\.json$/.test(path)) {
      module.exports = JSON.parse(N.readFile(path));
    } else {
      const dir = dirname(path);
      N.compile(path).call(module.exports, module.exports, makeRequire(dir), module, path, dir);
    }
  } catch (e) {
    delete cache[path];
    throw e;
  } finally {
    loading.pop();
  }
  module.loaded = true;
  return module.exports;
}
// The helpers of ES modules compiled to CommonJS (package/transform.rs), Babel's interop.
const namespaces = new WeakMap();
const INTEROP = Object.freeze({
  default: function (m) { return m && m.__esModule ? m['default'] : m; },
  namespace: function (m) {
    if (m && m.__esModule) return m;
    if (m === null || (typeof m !== 'object' && typeof m !== 'function')) return { default: m };
    let ns = namespaces.get(m);
    if (!ns) {
      ns = {};
      Object.keys(m).forEach(function (k) { ns[k] = m[k]; });
      ns['default'] = m;
      namespaces.set(m, ns);
    }
    return ns;
  },
  star: function (exports, m) {
    if (m === null || (typeof m !== 'object' && typeof m !== 'function')) return;
    Object.keys(m).forEach(function (k) {
      if (k === 'default' || k === '__esModule' || Object.prototype.hasOwnProperty.call(exports, k)) return;
      Object.defineProperty(exports, k, { enumerable: true, configurable: true, get: function () { return m[k]; } });
    });
  },
  dynamic: function (require, specifier) {
    return Promise.resolve().then(function () { return INTEROP.namespace(require(String(specifier))); });
  },
});
function makeRequire(dir) {
  function require(request) {
    if (typeof request !== 'string' || request === '') {
      throw new TypeError('require: the module name must be a non-empty string');
    }
    return load(N.resolve(dir, request));
  }
  require.cache = cache;
  require.interop = INTEROP;
  require.resolve = function (request) { return N.resolve(dir, String(request)); };
  return require;
}
