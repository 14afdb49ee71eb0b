// What the wxudp runtime provides beyond WeChat's typings: the WHATWG text codecs
// (UTF-8 only), which mini programs use to decode UDP payloads.
declare class TextEncoder {
  readonly encoding: 'utf-8'
  encode(input?: string): Uint8Array
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number }
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean })
  readonly encoding: 'utf-8'
  readonly fatal: boolean
  readonly ignoreBOM: boolean
  decode(input?: ArrayBuffer | ArrayBufferView): string
}
