// A mini-program project as the developer tools create it: app.json, app.js, two
// pages, a utils/ folder. Run it with:
//
//   wxudp run examples/project                                  (a simulated device)
//   wxudp run examples/project --page 'pages/index/index?port=9000'   (a real one on 9000)
//
// The index page broadcasts a probe, lists the devices that answer in its data, then
// opens the device page of the first one.
App({
  globalData: {
    platform: '',
    devices: [],
  },
  onLaunch: function (options) {
    this.globalData.platform = wx.getSystemInfoSync().platform;
    console.log('launched on', this.globalData.platform, 'at', options.path);
  },
});
