(global['webpackJsonp'] = global['webpackJsonp'] || []).push([['common/vendor'], {

/***/ 'framework/index.js':
/*!*************************************************!*\
  !*** the mini-program side of the framework   ***!
  \*************************************************/
/***/ (function (module, exports, __webpack_require__) {

'use strict';
__webpack_require__.r(exports);
// App and pages are plain objects with data() and hooks; a page's `this` sets its
// data by assignment (`this.status = 'x'`), which becomes setData.
function createApp(options) {
  var dev = typeof __wxConfig !== 'undefined' && __wxConfig.envVersion === 'develop';
  App(Object.assign({}, options, { globalData: Object.assign({ dev: dev }, options.globalData) }));
}
function createPage(component) {
  var data = component.data();
  var hooks = {};
  ['onLoad', 'onShow', 'onUnload'].forEach(function (name) {
    if (typeof component[name] !== 'function') return;
    hooks[name] = function (query) { return component[name].call(viewModel(this, data), query); };
  });
  Component({ data: data, methods: Object.assign({}, component.methods, hooks) });
}
function viewModel(page, data) {
  var vm = Object.create(page);
  Object.keys(data).forEach(function (key) {
    Object.defineProperty(vm, key, {
      get: function () { return page.data[key]; },
      set: function (value) { var patch = {}; patch[key] = value; page.setData(patch); },
    });
  });
  return vm;
}
__webpack_require__.d(exports, 'createApp', function () { return createApp; });
__webpack_require__.d(exports, 'createPage', function () { return createPage; });
wx.createApp = createApp;
wx.createPage = createPage;

/***/ }),

/***/ 'utils/udp.js':
/*!*************************************************!*\
  !*** a request/reply client over UDPSocket    ***!
  \*************************************************/
/***/ (function (module, exports, __webpack_require__) {

'use strict';
__webpack_require__.r(exports);
function request(port, text) {
  return new Promise(function (resolve, reject) {
    var udp = uni.createUDPSocket();
    var timer = setTimeout(function () { udp.close(); reject(new Error('no reply')); }, 2000);
    udp.onMessage(function (res) {
      clearTimeout(timer);
      udp.close();
      resolve(new TextDecoder().decode(res.message));
    });
    udp.onError(function (err) { clearTimeout(timer); udp.close(); reject(new Error(err.errMsg)); });
    udp.send({ address: '127.0.0.1', port: port, message: text });
  });
}
function startDevice() {
  var udp = uni.createUDPSocket();
  var port = udp.bind();
  var answers = 0;
  udp.onMessage(function (res) {
    var text = new TextDecoder().decode(res.message);
    udp.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: text === 'ping' ? 'pong' : 'temp 21.5' });
    if (++answers === 2) udp.close();
  });
  return port;
}
__webpack_require__.d(exports, 'request', function () { return request; });
__webpack_require__.d(exports, 'startDevice', function () { return startDevice; });

/***/ })

}]);
