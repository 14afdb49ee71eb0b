// The phone's side of discovery: a probe to 255.255.255.255 and to the subnet's own
// broadcast address (from wx.getLocalIPAddress's netmask), sent again every 300 ms
// until the devices the user has (two here) answered, 30 times at most. Exits with
// status 1 (an uncaught error) when one is missing.
const EXPECTED = 2;
const PORT = 4210;

function subnetBroadcast(ip, netmask) {
  const a = ip.split('.').map(Number);
  const m = netmask.split('.').map(Number);
  return a.map(function (x, i) { return (x & m[i]) | (~m[i] & 255); }).join('.');
}

async function discover() {
  await wx.startWifi({});
  const wifi = (await wx.getConnectedWifi({})).wifi;
  const local = await localAddress();
  const targets = ['255.255.255.255', subnetBroadcast(local.localip, local.netmask)];
  console.log('on ' + wifi.SSID + ' as ' + local.localip + '; probing ' + targets.join(' and '));

  const socket = wx.createUDPSocket();
  const found = {};
  socket.onMessage(function (res) {
    const reply = JSON.parse(new TextDecoder().decode(res.message));
    if (reply.cmd !== 'here' || found[reply.name]) return;
    found[reply.name] = res.remoteInfo.address;
    console.log('found ' + reply.name + ' (' + reply.kind + ') at ' + res.remoteInfo.address);
  });
  socket.bind();
  for (let i = 0; i < 30 && Object.keys(found).length < EXPECTED; i++) {
    targets.forEach(function (address) {
      socket.send({ address: address, port: PORT, message: JSON.stringify({ cmd: 'discover' }), setBroadcast: true });
    });
    await new Promise(function (resolve) { setTimeout(resolve, 300); });
  }
  socket.close();
  const names = Object.keys(found).sort();
  if (names.length < EXPECTED) throw new Error('found ' + names.length + ' of ' + EXPECTED + ' devices: ' + names.join(', '));
  console.log('found every device: ' + names.join(', '));
}

discover();

// wx.getLocalIPAddress as a Promise (the official typings declare only its callbacks).
function localAddress() {
  return new Promise(function (resolve, reject) {
    wx.getLocalIPAddress({ success: resolve, fail: reject });
  });
}
