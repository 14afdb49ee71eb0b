// A uni-app build for WeChat (`unpackage/dist/dev/mp-weixin`) as its bundler writes it,
// made small: webpack's runtime and chunks on `global.webpackJsonp`, the framework in
// common/vendor.js, the app entry in common/main.js, and a chunk per page. It runs from
// the build folder unchanged:
//
//   wxudp run examples/uni-app-build/unpackage/dist/dev/mp-weixin
//
require('./common/runtime.js')
require('./common/vendor.js')
require('./common/main.js')
