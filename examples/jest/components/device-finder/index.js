// A device finder, as a SoftAP or smart-home mini program has one: it broadcasts a
// discovery request over UDP, lists the devices that answer, and says when it is done.
// Plain mini-program code: it uses only wx.createUDPSocket and Component().

// Each instance's search in progress: its socket and the timer that ends it.
const searches = new WeakMap();

Component({
  properties: {
    // Where to ask: the LAN's broadcast address in the app; loopback in the test.
    address: { type: String, value: '255.255.255.255' },
    port: { type: Number, value: 4210 },
    // How long to listen for answers, in ms.
    window: { type: Number, value: 1000 },
  },

  data: {
    status: 'idle',
    devices: [],
  },

  lifetimes: {
    detached() {
      this.stop();
    },
  },

  methods: {
    // Asks once; resolves with the devices when `expect` answered or the window closed.
    discover(expect) {
      this.stop();
      this.setData({ status: 'searching', devices: [] });
      const udp = wx.createUDPSocket();
      const search = { udp, timer: 0 };
      searches.set(this, search);
      return new Promise((resolve) => {
        const finish = (status) => {
          if (searches.get(this) !== search) return;
          this.stop();
          this.setData({ status });
          resolve(this.data.devices);
        };
        udp.onMessage((res) => {
          let reply;
          try {
            reply = JSON.parse(String.fromCharCode.apply(null, new Uint8Array(res.message)));
          } catch (e) {
            return; // not one of ours
          }
          if (reply.cmd !== 'here') return;
          const devices = this.data.devices.concat([{
            id: reply.id,
            name: reply.name,
            address: res.remoteInfo.address,
            port: res.remoteInfo.port,
          }]);
          this.setData({ devices });
          if (expect && devices.length >= expect) finish('found ' + devices.length);
        });
        // WeChat's error events carry errCode too (its typings declare only errMsg).
        udp.onError((res) => finish('error ' + /** @type {any} */ (res).errCode + ': ' + res.errMsg));
        udp.bind();
        udp.send({
          address: this.data.address,
          port: this.data.port,
          message: JSON.stringify({ cmd: 'discover', v: 1 }),
        });
        search.timer = setTimeout(() => finish('found ' + this.data.devices.length), this.data.window);
      });
    },

    stop() {
      const search = searches.get(this);
      if (search) {
        searches.delete(this);
        clearTimeout(search.timer);
        search.udp.close();
      }
    },
  },
});
