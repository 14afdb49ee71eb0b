// Part of the prelude (wx/mod.rs assembles it): TextEncoder / TextDecoder (UTF-8) and wx's base64 helpers.
class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(input) { return new Uint8Array(N.utf8Encode(input === undefined ? '' : String(input))); }
  encodeInto(input, dest) {
    const bytes = this.encode(input);
    const n = Math.min(bytes.length, dest.length);
    dest.set(bytes.subarray(0, n));
    return { read: String(input).length, written: n };
  }
}
// The WHATWG Encoding standard's TextDecoder (encoding_rs: utf-8, utf-16le, gbk,
// gb18030, big5...): `fatal`, `ignoreBOM`, and `decode(bytes, { stream: true })`, whose
// split character waits for the next call.
const decoderStreams = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(function (id) { N.textDecoderFree(id); }) : null;
class TextDecoder {
  constructor(label, options) {
    const name = N.textEncoding(String(label === undefined ? 'utf-8' : label));
    if (name === undefined) throw new RangeError('The "' + label + '" encoding is not supported');
    Object.defineProperty(this, '__state', {
      value: { encoding: name, fatal: !!(options && options.fatal), ignoreBOM: !!(options && options.ignoreBOM), id: 0, stream: false },
    });
  }
  get encoding() { return this.__state.encoding; }
  get fatal() { return this.__state.fatal; }
  get ignoreBOM() { return this.__state.ignoreBOM; }
  decode(input, options) {
    const st = this.__state;
    const stream = !!(options && options.stream);
    if (stream && st.id === 0) {
      st.id = N.textDecoderId();
      if (decoderStreams) decoderStreams.register(this, st.id);
    }
    st.stream = stream;
    if (input === undefined) input = new ArrayBuffer(0);
    return N.textDecode(input, st);
  }
}
global.TextEncoder = TextEncoder;
global.TextDecoder = TextDecoder;


// Base64 helpers (deprecated by WeChat, still used to move binary payloads around).
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
wx.arrayBufferToBase64 = function (buffer) {
  // A copy taken at once (see runtime/convert.rs): getters on the view run before it, and the
  // loop below reads only the copy.
  const bytes = new Uint8Array(N.copyBytes(buffer));
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
      (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
      (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
};
wx.base64ToArrayBuffer = function (text) {
  const clean = String(text).replace(/[^A-Za-z0-9+/]/g, '');
  const bytes = new Uint8Array(Math.floor(clean.length * 3 / 4));
  let n = 0, bits = 0, j = 0;
  for (let i = 0; i < clean.length; i++) {
    n = (n << 6) | B64.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (n >> bits) & 255;
    }
  }
  return bytes.buffer.slice(0, j);
};
