// A request/response helper over wx.createUDPSocket, in the style real projects keep in
// utils/udp.js.
const config = require('../config.json');

class UdpClient {
  constructor(options) {
    this.host = options.host;
    this.port = options.port;
    this.pending = null;
    this.socket = wx.createUDPSocket();
    this.socket.bind();
    this.socket.onMessage(this.handleMessage.bind(this));
    this.socket.onError(function (err) { console.error('udp error', err); });
  }

  handleMessage(res) {
    if (!this.pending) return;
    const { resolve, timer } = this.pending;
    this.pending = null;
    clearTimeout(timer);
    resolve(new TextDecoder().decode(res.message));
  }

  request(command) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new Error('no reply to ' + command));
      }, config.timeoutMs);
      this.pending = { resolve, timer };
      this.socket.send({ address: this.host, port: this.port, message: command + '\r\n' });
    });
  }

  close() {
    this.socket.close();
  }
}

module.exports = { UdpClient };
