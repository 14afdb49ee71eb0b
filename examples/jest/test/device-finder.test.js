// The device finder, rendered by miniprogram-simulate, with wxudp installed into its
// `wx`: a real UDP socket that talks to a responder (a fake device, Node's dgram) on
// loopback. Nothing here mocks the network.
const path = require('path');
const dgram = require('dgram');
const simulate = require('miniprogram-simulate');
const wxudp = require('wxudp');

// miniprogram-simulate's wx mocks createUDPSocket (bind() returns 888, send() does
// nothing); wxudp replaces it with the real thing.
wxudp.install(global.wx);

// A device on loopback that answers discovery requests, as an ESP8266 lamp would.
function startDevice(name) {
  return new Promise((resolve) => {
    const device = dgram.createSocket('udp4');
    const seen = [];
    device.on('message', (msg, rinfo) => {
      const request = JSON.parse(msg.toString());
      seen.push(request);
      if (request.cmd === 'discover') {
        const reply = JSON.stringify({ cmd: 'here', id: 'lamp-1', name });
        device.send(reply, rinfo.port, rinfo.address);
      }
    });
    device.bind(0, '127.0.0.1', () => resolve({ device, seen, port: device.address().port }));
  });
}

const finder = simulate.load(path.join(__dirname, '../components/device-finder/index'));

describe('device-finder', () => {
  let device;
  beforeEach(async () => {
    device = await startDevice('Desk lamp');
  });
  afterEach(() => device.device.close());

  test('wx.createUDPSocket is wxudp\'s', () => {
    expect(wx.canIUse('UDPSocket.onMessage.callback.localInfo')).toBe(true);
    const s = wx.createUDPSocket();
    const port = s.bind();
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(888); // simulate's mock
    s.close();
  });

  test('messages are ArrayBuffers of the test\'s own realm', async () => {
    const s = wx.createUDPSocket();
    const port = s.bind();
    const got = new Promise((resolve) => s.onMessage(resolve));
    s.send({ address: '127.0.0.1', port, message: new Uint8Array([1, 2, 3]) });
    const res = await got;
    s.close();
    expect(res.message).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(new Uint8Array(res.message))).toEqual([1, 2, 3]);
    expect(res.remoteInfo).toEqual({ address: '127.0.0.1', family: 'IPv4', port, size: 3 });
    expect(res.localInfo).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
  });

  test('discovers the device on loopback and lists it', async () => {
    const comp = simulate.render(finder, { address: '127.0.0.1', port: device.port, window: 30000 });
    comp.attach(document.createElement('parent-wrapper'));
    expect(comp.data.status).toBe('idle');

    const devices = await comp.instance.discover(1);

    expect(device.seen).toEqual([{ cmd: 'discover', v: 1 }]);
    expect(devices).toEqual([{ id: 'lamp-1', name: 'Desk lamp', address: '127.0.0.1', port: device.port }]);
    expect(comp.data.status).toBe('found 1');
    expect(comp.data.devices[0].name).toBe('Desk lamp');
    expect(comp.querySelector('.name').dom.textContent).toBe('Desk lamp');
    comp.detach();
  });

  test('a bad destination is an error event the page shows', async () => {
    const comp = simulate.render(finder, { address: '127.0.0.1', port: 0 });
    comp.attach(document.createElement('parent-wrapper'));
    await comp.instance.discover(1);
    expect(comp.data.status).toBe('error 2: send:fail invalid port: 0 is not a valid destination port');
    expect(comp.data.devices).toEqual([]);
    comp.detach();
  });
});
