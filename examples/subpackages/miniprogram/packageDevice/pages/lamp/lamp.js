// The lamp page (in the subpackage): asks the lamp its state, switches it on.
const protocol = require('../../utils/protocol.js');
const log = require('../../../utils/log.js');

Page({
  data: {
    port: 0,
    state: 'unknown',
    logPath: '',
  },

  onLoad: function (query) {
    const page = this;
    const port = Number(query.port);
    page.setData({ port: port, logPath: log.logPath('lamp') });
    const udp = wx.createUDPSocket();
    udp.onMessage(function (res) {
      const state = protocol.parse(res.message);
      console.log('the lamp says:', state);
      page.setData({ state: state });
      if (state === 'lamp off') {
        udp.send({ address: '127.0.0.1', port: port, message: 'on' });
      } else {
        udp.close();
      }
    });
    udp.send({ address: '127.0.0.1', port: port, message: 'status?' });
  },
});
