// SSDP discovery from a mini program: an M-SEARCH to the multicast group
// 239.255.255.250:1900, sent again every 500 ms until two devices answered (20 times at
// most); each answer comes by unicast from the device. Exits with status 1 (an uncaught
// error) when a device is missing.
const EXPECTED = 2;
const SEARCH = [
  'M-SEARCH * HTTP/1.1',
  'HOST: 239.255.255.250:1900',
  'MAN: "ssdp:discover"',
  'MX: 1',
  'ST: urn:schemas-upnp-org:device:MediaRenderer:1',
  '', '',
].join('\r\n');

function headers(text) {
  const out = {};
  text.split('\r\n').slice(1).forEach(function (line) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toUpperCase()] = line.slice(i + 1).trim();
  });
  return out;
}

async function search() {
  const local = await localAddress();
  console.log('searching from ' + local.localip);
  const socket = wx.createUDPSocket();
  const found = {};
  socket.onMessage(function (res) {
    const text = new TextDecoder().decode(res.message);
    if (text.indexOf('HTTP/1.1 200') !== 0) return;
    const h = headers(text);
    if (found[h.USN]) return;
    found[h.USN] = h;
    console.log('found ' + h['X-FRIENDLY-NAME'] + ' at ' + res.remoteInfo.address + ': ' + h.LOCATION);
  });
  socket.bind();
  for (let i = 0; i < 20 && Object.keys(found).length < EXPECTED; i++) {
    socket.send({ address: '239.255.255.250', port: 1900, message: SEARCH });
    await new Promise(function (resolve) { setTimeout(resolve, 500); });
  }
  socket.close();
  const names = Object.keys(found).map(function (usn) { return found[usn]['X-FRIENDLY-NAME']; }).sort();
  if (names.length < EXPECTED) throw new Error('found ' + names.length + ' of ' + EXPECTED + ': ' + names.join(', '));
  console.log('found every renderer: ' + names.join(', '));
}

search();

// wx.getLocalIPAddress as a Promise (the official typings declare only its callbacks).
function localAddress() {
  return new Promise(function (resolve, reject) {
    wx.getLocalIPAddress({ success: resolve, fail: reject });
  });
}
