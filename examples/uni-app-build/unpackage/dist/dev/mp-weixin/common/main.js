(global['webpackJsonp'] = global['webpackJsonp'] || []).push([['common/main'], {

/***/ 'main.js':
/***/ (function (module, exports, __webpack_require__) {

'use strict';
var _framework = __webpack_require__(/*! framework */ 'framework/index.js');
(0, _framework.createApp)({
  globalData: { launched: 0 },
  onLaunch: function () {
    this.globalData.launched = Date.now();
    console.log('App Launch');
  },
});

/***/ })

}, [['main.js', 'common/runtime', 'common/vendor']]]);
