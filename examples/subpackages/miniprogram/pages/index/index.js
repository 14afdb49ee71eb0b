// The index page: loads the lamp simulator from the subpackage asynchronously (the
// subpackage is downloaded when first needed), starts it, then opens the lamp page.
const log = require('../../utils/log.js');

Page({
  data: {
    status: 'loading the device package',
    logPath: log.logPath('index'),
    isDemo: false,
  },

  onLoad: function () {
    const page = this;
    page.setData({ isDemo: global.isDemo === true });
    // The callback form: a missing module answers through the error callback.
    require('../../packageDevice/utils/missing.js', function () {}, function (err) {
      console.log('as expected:', err.mod, 'is not there');
    });
    require.async('../../packageDevice/utils/simulator.js').then(function (simulator) {
      const port = simulator.startLamp();
      getApp().globalData.lampPort = port;
      page.setData({ status: 'lamp started on port ' + port });
      wx.navigateTo({ url: '/packageDevice/pages/lamp/lamp?port=' + port });
    }).catch(function (err) {
      page.setData({ status: 'failed: ' + err.errMsg });
    });
  },
});
