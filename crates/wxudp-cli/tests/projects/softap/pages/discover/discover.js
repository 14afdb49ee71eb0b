// pages/discover/discover.js — finds devices on the Wi-Fi the phone is on: computes the
// subnet's broadcast address from wx.getLocalIPAddress, broadcasts a probe, lists who
// answers.
Page({
  data: {
    devices: [],
  },

  onLoad() {
    this.udp = wx.createUDPSocket();
    this.udp.onMessage((res) => {
      const info = JSON.parse(new TextDecoder().decode(res.message));
      this.setData({ devices: this.data.devices.concat([{ name: info.name, ip: res.remoteInfo.address }]) });
      console.log('found ' + info.name + ' at ' + res.remoteInfo.address + ':' + res.remoteInfo.port);
      clearTimeout(this.timer);
      this.udp.close();
    });
    this.udp.bind();
    wx.getLocalIPAddress({
      success: (res) => {
        const ip = res.localip.split('.').map(Number);
        const mask = res.netmask.split('.').map(Number);
        const broadcast = ip.map((b, i) => (b & mask[i]) | (~mask[i] & 255)).join('.');
        console.log('probing ' + broadcast + ' from ' + res.localip);
        this.udp.send({ address: broadcast, port: 4210, message: 'DISCOVER' });
        this.timer = setTimeout(() => {
          console.error('nobody answered');
          this.udp.close();
        }, 10000);
      },
      fail: (err) => {
        console.error(err.errMsg);
        this.udp.close();
      },
    });
  },
});
