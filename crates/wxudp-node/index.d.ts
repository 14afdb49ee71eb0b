// Types of the wxudp npm package. The socket is WeChat's own `UDPSocket` type, from the
// official typings (npm `miniprogram-api-typings`), so code written against `wx` in a
// mini program type-checks the same against this package.
/// <reference types="miniprogram-api-typings" />

/** WeChat's `UDPSocket`: `bind`, `send`, `connect`, `write`, `setTTL`, `close` and the `on`/`off` listeners. */
export type UDPSocket = WechatMiniprogram.UDPSocket

/**
 * `wx.createUDPSocket(type)`: a socket of type `'udp4'` (the default) or `'udp6'` (dual-stack).
 * An unknown type still makes a udp4 socket, and queues an `error` event
 * (`createUDPSocket:fail invalid type`, errCode -1). `options` is accepted and ignored, as in WeChat.
 */
export declare function createUDPSocket(
  type?: 'udp4' | 'udp6' | string,
  options?: WechatMiniprogram.IAnyObject
): WechatMiniprogram.UDPSocket

/** Whether `schema` (as `wx.canIUse` takes it) names a part of the UDP API this package provides. */
export declare function canIUse(schema: string): boolean

/** The user's answers to prompts, as `wxudp run --answers FILE.json` takes them. */
export interface Answers {
  showModal?: Array<'confirm' | 'cancel' | { confirm?: boolean; cancel?: boolean; content?: string }>
  showActionSheet?: Array<number | 'cancel' | { tapIndex: number }>
  authorize?: Record<string, 'allow' | 'deny'> | Array<'allow' | 'deny'>
  getUserProfile?: Array<'allow' | 'deny'>
  openSetting?: Array<Record<string, boolean>>
  checkSession?: Array<'ok' | 'expired'>
}

/** What `install` adds besides `createUDPSocket`. */
export interface InstallOptions {
  /**
   * The user's answers (or the path of a JSON file of them): installs `showModal`,
   * `showActionSheet`, `authorize`, `getSetting`, `openSetting`, `login`,
   * `checkSession` and `getUserProfile`, answered from them.
   */
  answers?: Answers | string
}

/**
 * Adds `createUDPSocket` to an existing `wx` object (the one a Jest setup file or
 * miniprogram-simulate provides) and makes its `canIUse` answer for it, asking the
 * `canIUse` it had for anything else. Returns the same object. With `answers`, the
 * prompts too.
 */
export declare function install<W extends object>(
  wx: W,
  options?: InstallOptions
): W & Pick<WechatMiniprogram.Wx, 'createUDPSocket' | 'canIUse'>

/** The class of the sockets `createUDPSocket` returns (`socket instanceof UDPSocket`); not constructible by itself. */
export declare const UDPSocket: {
  readonly prototype: WechatMiniprogram.UDPSocket
}
