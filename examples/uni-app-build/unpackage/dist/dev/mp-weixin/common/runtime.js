// webpack's runtime for mini programs: chunks are files that push
// [chunkIds, modules, entries] onto global.webpackJsonp; an entry runs once every chunk
// it needs has been pushed.
!function (modules) {
  var installedModules = {};
  var installedChunks = { 'common/runtime': 0 };
  var deferred = [];

  function jsonpCallback(data) {
    var chunkIds = data[0], more = data[1], entries = data[2] || [];
    for (var i = 0; i < chunkIds.length; i++) installedChunks[chunkIds[i]] = 0;
    for (var id in more) {
      if (Object.prototype.hasOwnProperty.call(more, id)) modules[id] = more[id];
    }
    if (parentJsonp) parentJsonp(data);
    deferred.push.apply(deferred, entries);
    return runReady();
  }

  function runReady() {
    var result;
    for (var i = 0; i < deferred.length; i++) {
      var entry = deferred[i];
      var ready = true;
      for (var j = 1; j < entry.length; j++) {
        if (installedChunks[entry[j]] !== 0) ready = false;
      }
      if (ready) {
        deferred.splice(i--, 1);
        result = __webpack_require__(entry[0]);
      }
    }
    return result;
  }

  function __webpack_require__(id) {
    if (installedModules[id]) return installedModules[id].exports;
    var module = installedModules[id] = { i: id, l: false, exports: {} };
    modules[id].call(module.exports, module, module.exports, __webpack_require__);
    module.l = true;
    return module.exports;
  }
  __webpack_require__.d = function (exports, name, getter) {
    if (!Object.prototype.hasOwnProperty.call(exports, name)) {
      Object.defineProperty(exports, name, { enumerable: true, get: getter });
    }
  };
  __webpack_require__.r = function (exports) {
    Object.defineProperty(exports, '__esModule', { value: true });
  };

  var jsonp = global['webpackJsonp'] = global['webpackJsonp'] || [];
  var parentJsonp = jsonp.push.bind(jsonp);
  jsonp.push = jsonpCallback;
  jsonp = jsonp.slice();
  for (var k = 0; k < jsonp.length; k++) jsonpCallback(jsonp[k]);
  runReady();
}([]);
