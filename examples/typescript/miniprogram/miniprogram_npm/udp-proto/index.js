// udp-proto as the devtools' "build npm" writes it into miniprogram_npm/: the package's
// modules in one CommonJS file. A frame is a magic byte, a type byte, a 16-bit
// big-endian length and the UTF-8 payload.
module.exports = (function () {
  var MAGIC = 0xa5;
  var TYPE_JSON = 1;

  function frame(type, text) {
    var body = new TextEncoder().encode(text);
    var out = new Uint8Array(4 + body.length);
    var view = new DataView(out.buffer);
    out[0] = MAGIC;
    out[1] = type;
    view.setUint16(2, body.length, false);
    out.set(body, 4);
    return out.buffer;
  }

  function unframe(buffer) {
    var bytes = new Uint8Array(buffer);
    if (bytes.length < 4 || bytes[0] !== MAGIC) return null;
    var length = new DataView(buffer).getUint16(2, false);
    if (bytes.length !== 4 + length) return null;
    return { type: bytes[1], text: new TextDecoder().decode(bytes.subarray(4)) };
  }

  return { frame: frame, unframe: unframe, TYPE_JSON: TYPE_JSON, version: '1.2.0' };
})();
