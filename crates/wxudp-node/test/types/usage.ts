// Compiled by test/types.test.js (tsc --noEmit): the package's types are WeChat's.
import { createUDPSocket, install, canIUse, UDPSocket } from 'wxudp'

const socket: WechatMiniprogram.UDPSocket = createUDPSocket('udp6')
const same: UDPSocket = socket
const port: number = same.bind()
socket.onMessage((res) => {
  const bytes = new Uint8Array(res.message)
  const from: string = res.remoteInfo.address
  const size: number = res.remoteInfo.size
  void bytes, from, size
})
socket.onError((res) => { const text: string = res.errMsg; void text })
socket.send({ address: '127.0.0.1', port, message: 'hi', setBroadcast: true })
socket.close()

const wx = install({ getStorageSync: (key: string) => key })
const again: WechatMiniprogram.UDPSocket = wx.createUDPSocket()
const yes: boolean = wx.canIUse('createUDPSocket') && canIUse('UDPSocket.setTTL')
wx.getStorageSync('x')
void again, yes
// @ts-expect-error: sockets are made by createUDPSocket
new UDPSocket()
