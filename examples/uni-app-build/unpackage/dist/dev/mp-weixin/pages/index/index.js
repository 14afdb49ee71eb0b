(global['webpackJsonp'] = global['webpackJsonp'] || []).push([['pages/index/index'], {

/***/ 'pages/index/index.vue':
/***/ (function (module, exports, __webpack_require__) {

'use strict';
__webpack_require__.r(exports);
var _udp = __webpack_require__(/*! @/utils/udp.js */ 'utils/udp.js');
var page = {
  data: function () {
    return { title: 'Thermometer', reply: '', temperature: '', dev: false };
  },
  onLoad: function () {
    var vm = this;
    vm.dev = getApp().globalData.dev;
    var port = (0, _udp.startDevice)();
    (0, _udp.request)(port, 'ping').then(function (reply) {
      vm.reply = reply;
      return (0, _udp.request)(port, 'temp?');
    }).then(function (reading) {
      vm.temperature = reading.replace('temp ', '');
      console.log('the thermometer reads', vm.temperature);
    });
  },
};
exports.default = page;

/***/ }),

/***/ 'pages/index/main.js':
/***/ (function (module, exports, __webpack_require__) {

'use strict';
var _framework = __webpack_require__(/*! framework */ 'framework/index.js');
var _index = __webpack_require__(/*! ./pages/index/index.vue */ 'pages/index/index.vue');
wx.__webpack_require_UNI_MP_PLUGIN__ = __webpack_require__;
(0, _framework.createPage)(_index.default);

/***/ })

}, [['pages/index/main.js', 'common/runtime', 'common/vendor']]]);
