// wxudp for Node.js: WeChat's wx.createUDPSocket() on the wxudp Rust core.
//
// This loader is the JavaScript half of the addon (src/ is the native half). It
// makes the UDPSocket objects, keeps their listener functions and calls them; every rule
// of the contract (docs/CONTRACT.md: arguments, errors, which listeners an event goes
// to, what a closed socket does) is the core's, reached through the native functions.
'use strict';

const path = require('path');

const native = load();

// Kinds of events, as the native side numbers them.
const MESSAGE = 0;
const ERROR = 1;
const LISTENING = 2;
const CLOSE = 3;
const SETTLED = 4;

// The hidden state of a socket object: { id, fns (listener slots), free, live, self }.
const STATE = Symbol('wxudp.socket');

// Sockets the loop needs (open, or with events on their way), by id. An open socket
// stays alive (and keeps the process alive) even if the script drops it, as dgram's do.
const live = new Map();
let keeping = false;

// A socket the script dropped, once it is not live: its native half goes too.
const collected = new FinalizationRegistry(function (id) { native.release(id); });

// The option names the native side reads, in its order (convert.rs, Key): strings the
// engine has interned, so that a read does not look a name up each time.
const KEYS = native.optionKeys();

// Where native.next writes the event it hands over: its numbers, and its other values.
const nums = new Float64Array(10);
const refs = [];

// This loader's id in the addon (Jest evaluates this file once per test file, in a realm
// of its own: its ArrayBuffer tells the addon which realm the messages belong to).
const host = native.init(ArrayBuffer);

function load() {
  const arch = process.arch;
  let abi = 'gnu';
  try {
    const report = process.report && process.report.getReport();
    if (report && report.header && !report.header.glibcVersionRuntime) abi = 'musl';
  } catch (e) { /* keep gnu */ }
  const names = [
    'wxudp.' + process.platform + '-' + arch + '-' + abi + '.node',
    'wxudp.' + process.platform + '-' + arch + '.node',
    'wxudp.node',
  ];
  const tried = [];
  for (const name of names) {
    const file = path.join(__dirname, name);
    try {
      const addon = require(file);
      if (addon.INTERFACE !== 1) {
        throw new Error('wxudp: ' + file + ' was built from other sources than ' + __filename +
          ' (an older checkout?): rebuild it with `npm run build` in ' + __dirname);
      }
      return addon;
    } catch (e) {
      if (e && e.code !== 'MODULE_NOT_FOUND') throw e;
      tried.push(name);
    }
  }
  throw new Error('wxudp: no native addon for ' + process.platform + '-' + arch + '-' + abi +
    ' in ' + __dirname + ' (tried ' + tried.join(', ') + '). Build it with `npm run build` ' +
    'in that folder (needs Rust: see its README.md).');
}

// While a socket is live, a threadsafe function keeps the loop alive and wakes it for
// `dispatch`; once none is, it is released (and nothing of this loader is kept).
function keepAlive() {
  const on = live.size > 0;
  if (on !== keeping) {
    keeping = on;
    native.keepAlive(host, on ? dispatch : null);
  }
}

// After a call: the loop keeps the socket if it is open or has events on their way.
function settle(st) {
  if (!st.live && native.isLive(st.id)) {
    st.live = true;
    live.set(st.id, st);
    keepAlive();
  }
}

function stateOf(self) {
  const st = self === null || self === undefined ? undefined : self[STATE];
  if (st === undefined) throw new TypeError('Illegal invocation: not a UDPSocket');
  return st;
}

// The events queued by now, one at a time: each one's listeners are the ones registered
// when its dispatch starts (the core's Registry takes the snapshot then).
function dispatch() {
  for (let n = 0; ; n++) {
    const kind = native.next(host, nums, refs, n);
    if (kind < 0) return;
    const id = nums[0];
    const st = live.get(id);
    if (st !== undefined && kind !== SETTLED) deliver(st, kind);
    if (st !== undefined && nums[2] === 0) {
      st.live = false;
      live.delete(id);
      keepAlive();
    }
  }
}

// The text of IPv4 addresses handed over as numbers, kept while the peer stays the same.
let remoteKey = -1;
let remoteText = '';
let localKey = -1;
let localText = '';

function ipv4(n) {
  return (n >>> 24) + '.' + ((n >>> 16) & 255) + '.' + ((n >>> 8) & 255) + '.' + (n & 255);
}

function payload(kind) {
  switch (kind) {
    case MESSAGE: {
      let message = refs[1];
      if (typeof message === 'number') {
        // Another realm's loader (Jest): the bytes go into an ArrayBuffer of this one.
        message = new ArrayBuffer(message);
        native.fill(host, message);
      }
      const families = nums[6];
      let remote = nums[7];
      if (remote < 0) remote = refs[2];
      else if (remote === remoteKey) remote = remoteText;
      else { remoteKey = remote; remote = remoteText = ipv4(remote); }
      let local = nums[8];
      if (local < 0) local = refs[3];
      else if (local === localKey) local = localText;
      else { localKey = local; local = localText = ipv4(local); }
      return {
        message: message,
        remoteInfo: {
          address: remote, family: families & 1 ? 'IPv6' : 'IPv4', port: nums[4], size: message.byteLength,
        },
        localInfo: { address: local, family: families & 2 ? 'IPv6' : 'IPv4', port: nums[5] },
      };
    }
    case ERROR: return { errMsg: refs[4], errCode: nums[9] };
    case LISTENING: return { errMsg: 'bind:ok' };
    default: return { errMsg: 'close:ok' };
  }
}

function deliver(st, kind) {
  const res = payload(kind);
  const slot = nums[3];
  if (slot >= 0) {
    call(st.fns[slot], res);
  } else {
    // Every function first: a listener may free and reuse a slot while this runs.
    const fns = refs[0].map(function (s) { return st.fns[s]; });
    for (let i = 0; i < fns.length; i++) call(fns[i], res);
  }
}

// A listener that throws is reported as an uncaught exception (as Node reports one
// thrown by a dgram listener, and Jest fails the test); the other listeners still run.
function call(fn, res) {
  try {
    fn.call(undefined, res);
  } catch (e) {
    process.nextTick(function () { throw e; });
  }
}

function on(self, kind, listener) {
  const st = stateOf(self);
  if (typeof listener !== 'function') return;
  const slot = st.free.length > 0 ? st.free.pop() : st.fns.length;
  st.fns[slot] = listener;
  native.on(st.id, kind, slot);
}

// What goes is the core's rule (wxudp::frontend::off): everything without a listener,
// else that same function's registrations.
function off(self, kind, listener) {
  const st = stateOf(self);
  const removed = native.off(st.id, kind, listener, st.fns);
  for (let i = 0; i < removed.length; i++) {
    st.fns[removed[i]] = undefined;
    st.free.push(removed[i]);
  }
}

class UDPSocket {
  bind(port) {
    const st = stateOf(this);
    const bound = native.bind(st.id, port);
    if (!st.live) settle(st);
    return bound;
  }

  send(option) {
    const st = stateOf(this);
    native.send(st.id, option, KEYS);
    if (!st.live) settle(st);
  }

  write(option) {
    const st = stateOf(this);
    native.write(st.id, option, KEYS);
    if (!st.live) settle(st);
  }

  connect(option) {
    const st = stateOf(this);
    native.connect(st.id, option, KEYS);
    if (!st.live) settle(st);
  }

  setTTL(ttl) {
    const st = stateOf(this);
    native.setTTL(st.id, ttl);
    if (!st.live) settle(st);
  }

  close() {
    const st = stateOf(this);
    native.close(st.id);
    if (!st.live) settle(st);
  }

  onClose(listener) { on(this, CLOSE, listener); }
  offClose(listener) { off(this, CLOSE, listener); }
  onError(listener) { on(this, ERROR, listener); }
  offError(listener) { off(this, ERROR, listener); }
  onListening(listener) { on(this, LISTENING, listener); }
  offListening(listener) { off(this, LISTENING, listener); }
  onMessage(listener) { on(this, MESSAGE, listener); }
  offMessage(listener) { off(this, MESSAGE, listener); }
}

/**
 * WeChat's `wx.createUDPSocket(type)`: a `UDPSocket` of type `'udp4'` (the default) or
 * `'udp6'` (dual-stack). An unknown type still makes a udp4 socket, and an `error` event.
 */
function createUDPSocket(type) {
  const socket = Object.create(UDPSocket.prototype);
  const st = { id: native.create(host, type), fns: [], free: [], live: false, self: socket };
  Object.defineProperty(socket, STATE, { value: st });
  collected.register(socket, st.id);
  settle(st);
  return socket;
}

/** Whether `schema` names a part of the UDP API, which this package provides whole (the core's table). */
function canIUse(schema) {
  return native.canIUse(String(schema));
}

/**
 * Adds `createUDPSocket` to an existing `wx` object (the global one a Jest setup file or
 * miniprogram-simulate provides, say) and makes its `canIUse` answer for it; anything
 * else `canIUse` is asked goes to the `canIUse` it had, if any. Returns `wx`.
 *
 * `options.answers` (an object, or the path of a JSON file, as `wxudp run --answers`
 * takes) also installs the prompts a page shows, answered from it: `showModal`,
 * `showActionSheet`, `authorize`, `getSetting`, `openSetting`, `login`, `checkSession`,
 * `getUserProfile` (prompts.js, shared with `wxudp run`); each prompt is printed on
 * stderr with its answer.
 */
function install(wx, options) {
  if (wx === null || (typeof wx !== 'object' && typeof wx !== 'function')) {
    throw new TypeError('wxudp.install(wx): wx must be an object');
  }
  const opts = options === undefined || options === null ? {} : options;
  if (typeof opts !== 'object') throw new TypeError('wxudp.install(wx, options): options must be an object');
  const before = typeof wx.canIUse === 'function' ? wx.canIUse : null;
  const extra = new Set();
  if (opts.answers !== undefined) {
    let answers = opts.answers;
    let source = 'install(wx, { answers })';
    if (typeof answers === 'string') {
      source = answers;
      answers = JSON.parse(require('fs').readFileSync(answers, 'utf8'));
    }
    const prompts = require('./prompts.js')({
      answers: answers,
      source: source,
      print: function (line) { process.stderr.write(line + '\n'); },
      versionAtLeast: function () { return true; },
      reportError: function (error) { process.nextTick(function () { throw error; }); },
    });
    Object.assign(wx, prompts.api);
    prompts.since.forEach(function (e) { extra.add(e[0]); });
  }
  wx.createUDPSocket = createUDPSocket;
  wx.canIUse = function (schema) {
    if (canIUse(schema) || extra.has(native.canIUseKey(String(schema)))) return true;
    return before !== null ? before.apply(this, arguments) : false;
  };
  return wx;
}

module.exports = { createUDPSocket, install, canIUse, UDPSocket };
