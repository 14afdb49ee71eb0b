// The scan page: says hello to the lamp, shows what it answers, switches it on.
import { decode, encode, Lamp } from '../../utils/codec';
import { startLamp } from '@/utils/lamp';
import * as proto from 'udp-proto';

const app = getApp<IAppOption>();

Page({
  data: {
    status: 'idle',
    lamp: null as Lamp | null,
    protocol: proto.version,
  },

  onLoad(query: Record<string, string>) {
    const port = Number(query.port) || startLamp();
    const udp = wx.createUDPSocket();
    udp.onMessage((res) => {
      const lamp = decode(res.message);
      if (lamp === null) {
        return;
      }
      console.log(`${lamp.name} (${lamp.id}) is ${lamp.on ? 'on' : 'off'}`);
      this.setData({ lamp, status: lamp.on ? 'on' : 'found' });
      if (lamp.on) {
        app.globalData.scans += 1;
        udp.close();
      } else {
        udp.send({ address: '127.0.0.1', port, message: encode({ cmd: 'power', on: true }) });
      }
    });
    udp.bind();
    this.setData({ status: 'scanning' });
    udp.send({ address: '127.0.0.1', port, message: encode({ cmd: 'hello' }) });
  },
});
