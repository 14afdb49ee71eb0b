// Part of the prelude (wx/mod.rs assembles it): wx.getFileSystemManager over N.fs (wx/fs/mod.rs does each operation).
// Every method has a callback form (success/fail/complete, called after the current
// job; no Promise, as in WeChat) and a Sync form that returns the result or throws an
// Error whose message is `<method>Sync:fail <reason>` (with its errno).
function fsParam(api, name, value, type) {
  const found = value === null ? 'Null' : Array.isArray(value) ? 'Array' : typeTag(value);
  if (type === 'String' && typeof value !== 'string') {
    throw { errMsg: api + ':fail parameter error: parameter.' + name + ' should be String instead of ' + found + ';', errno: 1300022 };
  }
  if (type === 'Data' && typeof value !== 'string' && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) {
    throw { errMsg: api + ':fail parameter error: parameter.' + name + ' should be String/ArrayBuffer instead of ' + found + ';', errno: 1300022 };
  }
}
function fsStats(raw) {
  const directory = raw.directory;
  const stats = { size: raw.size, mode: raw.mode, lastAccessedTime: raw.lastAccessedTime, lastModifiedTime: raw.lastModifiedTime };
  Object.defineProperty(stats, 'isDirectory', { value: function () { return directory; } });
  Object.defineProperty(stats, 'isFile', { value: function () { return !directory; } });
  return stats;
}
// [method, option names in argument order, their types, what success carries]
const FS_METHODS = [
  ['access', ['path'], ['String'], null],
  ['readFile', ['filePath', 'encoding', 'position', 'length'], ['String'], 'data'],
  ['writeFile', ['filePath', 'data', 'encoding'], ['String', 'Data'], null],
  ['appendFile', ['filePath', 'data', 'encoding'], ['String', 'Data'], null],
  ['mkdir', ['dirPath', 'recursive'], ['String'], null],
  ['readdir', ['dirPath'], ['String'], 'files'],
  ['rmdir', ['dirPath', 'recursive'], ['String'], null],
  ['unlink', ['filePath'], ['String'], null],
  ['copyFile', ['srcPath', 'destPath'], ['String', 'String'], null],
  ['rename', ['oldPath', 'newPath'], ['String', 'String'], null],
  ['stat', ['path', 'recursive'], ['String'], 'stats'],
];
function fsCall(api, names, types, args) {
  types.forEach(function (t, i) { fsParam(api, names[i], args[i], t); });
  const answer = N.fs(api, args);
  if (!answer.ok) throw { errMsg: api + ':fail ' + answer.reason, errno: answer.errno };
  let value = answer.value;
  if (api === 'stat') {
    value = Array.isArray(value)
      ? value.map(function (e) { return { path: e.path, stats: fsStats(e.stats) }; })
      : fsStats(value);
  }
  return value;
}
const fileSystemManager = {};
FS_METHODS.forEach(function (m) {
  const api = m[0], names = m[1], types = m[2], key = m[3];
  fileSystemManager[api] = function (options) {
    const opts = options !== null && typeof options === 'object' ? options : {};
    let res;
    try {
      const value = fsCall(api, names, types, names.map(function (n) { return opts[n]; }));
      res = { errMsg: api + ':ok' };
      if (key) res[key] = value;
    } catch (e) {
      res = e && typeof e.errMsg === 'string' ? e : { errMsg: api + ':fail ' + String(e && e.message || e) };
    }
    const ok = res.errMsg === api + ':ok';
    Promise.resolve().then(function () {
      if (ok && typeof opts.success === 'function') opts.success(res);
      if (!ok && typeof opts.fail === 'function') opts.fail(res);
      if (typeof opts.complete === 'function') opts.complete(res);
    }).catch(N.reportError);
  };
  fileSystemManager[api + 'Sync'] = function () {
    try {
      return fsCall(api, names, types, Array.prototype.slice.call(arguments, 0, names.length));
    } catch (e) {
      if (!e || typeof e.errMsg !== 'string') throw e;
      const error = new Error(e.errMsg.replace(api + ':fail', api + 'Sync:fail'));
      error.errno = e.errno;
      throw error;
    }
  };
});
wx.getFileSystemManager = function () { return fileSystemManager; };
[['getFileSystemManager', '1.9.9'], ['FileSystemManager.appendFile', '2.1.0'], ['FileSystemManager.appendFileSync', '2.1.0'],
  ['FileSystemManager.mkdir.object.recursive', '2.3.0'], ['FileSystemManager.rmdir.object.recursive', '2.3.0'],
  ['FileSystemManager.stat.object.recursive', '2.3.0'], ['FileSystemManager.readFile.object.position', '2.10.0'],
  ['FileSystemManager.readFile.object.length', '2.10.0']].forEach(function (e) { canIUseTable[e[0]] = e[1]; });
FS_METHODS.forEach(function (m) {
  if (m[0] === 'appendFile') return;
  canIUseTable['FileSystemManager.' + m[0]] = '1.9.9';
  canIUseTable['FileSystemManager.' + m[0] + 'Sync'] = '1.9.9';
});
