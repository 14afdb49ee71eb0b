// A lamp on loopback, for a run without a real one: answers `hello` with its state
// and `power` by switching, then going quiet once it is on.
import { decode, encode } from './codec';
import frame from 'udp-proto';

const state = { id: 'lamp-1', name: 'Desk lamp', on: false };

export function startLamp(): number {
  const udp = wx.createUDPSocket();
  const port = udp.bind();
  udp.onMessage((res) => {
    const text = frame.unframe(res.message);
    const command = text === null ? null : JSON.parse(text.text);
    if (command && command.cmd === 'power') {
      state.on = command.on;
    }
    const reply = frame.frame(frame.TYPE_JSON, JSON.stringify(state));
    udp.send({ address: res.remoteInfo.address, port: res.remoteInfo.port, message: reply });
    if (state.on) {
      udp.close();
    }
  });
  // decode/encode are the page's; the lamp only checks it speaks the same protocol.
  if (decode(encode({ cmd: 'hello' })) !== null) {
    throw new Error('a hello is not a lamp');
  }
  return port;
}
