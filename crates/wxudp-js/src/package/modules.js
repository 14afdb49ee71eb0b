// Part of the prelude (wx/mod.rs assembles it): CommonJS require over the natives of package/loader.rs, and the interop helpers of ES modules compiled to CommonJS.
const cache = Object.create(null);
// The files being loaded, outermost first: the import chain of an error.
const loading = [];
function currentFile() { return loading.length ? loading[loading.length - 1] : ''; }
function dirname(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
function shown(path) {
  return path.indexOf(ROOT + '/') === 0 ? path.slice(ROOT.length + 1) : path;
}
// The natives read only the main script and files inside the package (package/modules.rs),
// whoever calls them. An ES module or a .ts file arrives compiled to CommonJS the way
// the project's compiler does it (package/transform.rs). A module's function gets
// WeChat's browser names (window, document, ...) as parameters left undefined, as the
// devtools' module engine gives them.
function load(path) {
  if (cache[path]) return cache[path].exports;
  const module = { id: path, filename: path, exports: {}, loaded: false, children: [] };
  cache[path] = module;
  loading.push(path);
  try {
    if (/\.json$/.test(path)) {
      module.exports = JSON.parse(N.readFile(path));
    } else {
      N.compile(path).call(module.exports, module.exports, makeRequire(path), module, path, dirname(path));
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
// The module `request` names from `file`: a missing one throws an Error naming what
// was tried and, while modules load, the chain of files that led there.
function resolveFrom(file, request, sync) {
  try {
    return N.resolve(file, request, sync);
  } catch (e) {
    if (e && typeof e.message === 'string' && loading.length > 1 && loading[loading.length - 1] === file) {
      e.message += '\n    import chain: ' + loading.map(shown).join(' -> ');
    }
    throw e;
  }
}
// require(path, callback, errorCallback) and require.async(path) (base library 2.11.2;
// before it, a callback is ignored and require.async is undefined): always asynchronous, the module's exports to the callback or the Promise, and
// { mod, errMsg } to the error callback or the rejection.
const ASYNC_REQUIRE = versionAtLeast('2.11.2');
function requireAsync(file, request) {
  return Promise.resolve().then(function () {
    return load(resolveFrom(file, String(request), false));
  }).catch(function (e) {
    throw { mod: request, errMsg: e && typeof e.message === 'string' ? e.message : String(e) };
  });
}
// The helpers of ES modules compiled to CommonJS (package/transform.rs): Babel's interop
// (interopRequireDefault, interopRequireWildcard), tsc's (__importDefault, __importStar,
// __exportStar) and dynamic import().
const namespaces = new WeakMap();
const starred = new WeakMap();
function isObject(m) { return m !== null && (typeof m === 'object' || typeof m === 'function'); }
const INTEROP = Object.freeze({
  default: function (m) { return m && m.__esModule ? m['default'] : m; },
  // Babel's interopRequireWildcard: an ES module as it is, anything else as a new object
  // with its own enumerable properties (getters kept) and `default`.
  namespace: function (m) {
    if (m && m.__esModule) return m;
    if (!isObject(m)) return { default: m };
    let ns = namespaces.get(m);
    if (!ns) {
      ns = {};
      Object.keys(m).forEach(function (k) {
        if (k === 'default') return;
        const d = Object.getOwnPropertyDescriptor(m, k);
        if (d && (d.get || d.set)) Object.defineProperty(ns, k, d); else ns[k] = m[k];
      });
      ns['default'] = m;
      namespaces.set(m, ns);
    }
    return ns;
  },
  // tsc's __importStar: an ES module as it is, anything else as a new object whose own
  // properties (but `default`) read through to the module, and `default`.
  importStar: function (m) {
    if (m && m.__esModule) return m;
    const ns = {};
    if (m != null) {
      if (isObject(m) && starred.has(m)) return starred.get(m);
      Object.getOwnPropertyNames(m).forEach(function (k) {
        if (k === 'default') return;
        Object.defineProperty(ns, k, { enumerable: true, get: function () { return m[k]; } });
      });
      if (isObject(m)) starred.set(m, ns);
    }
    ns['default'] = m;
    return ns;
  },
  star: function (exports, m) {
    if (!isObject(m)) return;
    Object.keys(m).forEach(function (k) {
      if (k === 'default' || k === '__esModule' || Object.prototype.hasOwnProperty.call(exports, k)) return;
      Object.defineProperty(exports, k, { enumerable: true, configurable: true, get: function () { return m[k]; } });
    });
  },
  // import(x): a Promise of the module, read as the compiler reads `import * as`.
  dynamic: function (require, compiler, specifier) {
    return Promise.resolve().then(function () {
      const m = require(String(specifier));
      return compiler === 'babel' ? INTEROP.namespace(m) : compiler === 'tsc-interop' ? INTEROP.importStar(m) : m;
    });
  },
});
function makeRequire(file) {
  function require(request, callback, errorCallback) {
    if (typeof request !== 'string' || request === '') {
      throw new TypeError('require: the module name must be a non-empty string');
    }
    if (ASYNC_REQUIRE && (typeof callback === 'function' || typeof errorCallback === 'function')) {
      requireAsync(file, request).then(function (exports) {
        if (typeof callback === 'function') callback(exports);
      }, function (err) {
        if (typeof errorCallback === 'function') errorCallback(err);
        else N.reportError(new Error(err.errMsg));
      });
      return undefined;
    }
    return load(resolveFrom(file, request, true));
  }
  if (ASYNC_REQUIRE) require.async = function (request) { return requireAsync(file, request); };
  require.cache = cache;
  require.interop = INTEROP;
  require.resolve = function (request) { return resolveFrom(file, String(request), false); };
  return require;
}
