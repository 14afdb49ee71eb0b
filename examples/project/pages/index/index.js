// The index page, an ES module: it imports the CommonJS discovery helper and the
// TypeScript protocol, as a project compiled by the developer tools would.
import { discover } from '../../utils/discovery.js';
import { PROBE, parseReply } from '../../utils/protocol.ts';
import simulator from '../../utils/simulated_device.js';

const app = getApp();

Page({
  data: {
    status: 'idle',
    platform: '',
    devices: [],
  },

  onLoad: function (query) {
    const port = Number(query.port) || simulator.startSimulatedDevice();
    this.setData({ status: 'searching', platform: app.globalData.platform });
    const page = this;
    discover({
      port: port,
      probe: PROBE,
      parse: parseReply,
      ms: Number(query.ms) || 1000,
      onDevice: function (device, found) {
        page.setData({ devices: found.slice() });
      },
      onDone: function (found) {
        app.globalData.devices = found;
        page.setData({ status: found.length ? 'found ' + found.length : 'no device' });
        console.log('route', page.route, 'devices', found);
        if (found.length) {
          wx.navigateTo({ url: '/pages/device/device?id=' + found[0].id });
        }
      },
    });
  },
});
