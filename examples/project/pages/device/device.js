// The device page (CommonJS): the device the index page found, by its id.
Page({
  data: {
    device: null,
  },

  onLoad: function (query) {
    const device = getApp().globalData.devices.filter(function (d) { return d.id === query.id; })[0];
    this.setData({ device: device || null });
    const pages = getCurrentPages();
    console.log('opened', this.route, 'over', pages[0].route, 'with', query);
  },
});
