// Part of the prelude (wx/mod.rs assembles it): wx.request and its RequestTask over N.request (wx/request/mod.rs sends it).
// WeChat's rules: the data goes as a query string for GET and as JSON or a form for
// the rest; `content-type` defaults to application/json; any answer of the server is
// `success` with its statusCode; `dataType: 'json'` parses a text body (and leaves it
// a string when it is not JSON); failures are `request:fail ...`; it returns its
// RequestTask, never a Promise.
const REQUEST_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'];
const REQUEST_ERRNO = versionAtLeast('2.24.0');

function queryPairs(data, plain) {
  if (data === null || typeof data !== 'object') return '';
  return Object.keys(data).map(function (k) {
    const v = data[k];
    // The query of a GET writes an object value as JSON; a form writes String(value).
    const text = !plain && v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
    return encodeURIComponent(k) + '=' + encodeURIComponent(text);
  }).join('&');
}
function withQuery(url, query) {
  if (!query) return url;
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const tail = hash < 0 ? '' : url.slice(hash);
  return base + (base.indexOf('?') < 0 ? '?' : (/[?&]$/.test(base) ? '' : '&')) + query + tail;
}
function isBytes(v) { return v instanceof ArrayBuffer || ArrayBuffer.isView(v); }

class RequestTask {
  constructor() {
    this.__headers = listenerList();
    this.__chunks = listenerList();
    this.__id = 0;
    this.__ended = false;
  }
  abort() {
    if (this.__ended) return;
    this.__ended = true;
    if (this.__id) N.requestAbort(this.__id);
    const fail = this.__fail;
    setTimeout(function () { fail({ errMsg: 'request:fail abort' }); }, 0);
  }
  onHeadersReceived(fn) { this.__headers.on(fn); }
  offHeadersReceived(fn) { this.__headers.off(fn); }
  onChunkReceived(fn) { this.__chunks.on(fn); }
  offChunkReceived(fn) { this.__chunks.off(fn); }
}
[['onHeadersReceived', '2.1.0'], ['offHeadersReceived', '2.1.0'],
  ['onChunkReceived', '2.20.1'], ['offChunkReceived', '2.20.1']].forEach(function (m) {
  if (!versionAtLeast(m[1])) delete RequestTask.prototype[m[0]];
});

function requestOptions(opts) {
  const url = opts.url;
  if (typeof url !== 'string' || !/^https?:\/\/[^/?#]/i.test(url)) {
    throw { errMsg: 'request:fail invalid url "' + (url === undefined ? '' : String(url)) + '"', errno: 600009 };
  }
  const method = String(opts.method === undefined ? 'GET' : opts.method).toUpperCase();
  const headers = [];
  let contentType = 'application/json';
  const given = opts.header !== null && typeof opts.header === 'object' ? opts.header : {};
  Object.keys(given).forEach(function (k) {
    const lower = k.toLowerCase();
    // WeChat sets the Referer itself.
    if (lower === 'referer') return;
    const value = String(given[k]);
    if (lower === 'content-type') contentType = value;
    else headers.push([k, value]);
  });
  headers.push(['content-type', contentType]);
  headers.push(['Referer', 'https://servicewechat.com/' + global.__wxConfig.accountInfo.appId + '/0/page-frame.html']);
  let target = url;
  let body;
  const data = opts.data;
  if (typeof data === 'function') throw { errMsg: 'request:fail data should not be Function' };
  if (method === 'GET') {
    if (typeof data === 'string') target = withQuery(url, data);
    else if (data !== undefined && !isBytes(data)) target = withQuery(url, queryPairs(data, false));
  } else if (data === undefined || data === null) {
    body = '';
  } else if (typeof data === 'string' || isBytes(data)) {
    body = data;
  } else if (contentType.toLowerCase().indexOf('application/x-www-form-urlencoded') >= 0) {
    body = queryPairs(data, true);
  } else {
    body = JSON.stringify(data);
  }
  const timeout = Number(opts.timeout);
  return {
    method: method,
    url: target,
    headers: headers,
    body: body,
    timeout: timeout > 0 ? timeout : defaultRequestTimeout(),
    arraybuffer: opts.responseType === 'arraybuffer',
    chunked: opts.enableChunked === true && versionAtLeast('2.20.2'),
    follow: opts.redirect !== 'manual',
  };
}
// 60 s, or app.json's networkTimeout.request.
function defaultRequestTimeout() {
  const ms = Number((global.__wxConfig.networkTimeout || {}).request);
  return ms > 0 ? ms : 60000;
}

wx.request = function (options) {
  const opts = options !== null && typeof options === 'object' ? options : {};
  const task = new RequestTask();
  function answer(kind, res) {
    if (kind === 'success' && typeof opts.success === 'function') opts.success(res);
    if (kind === 'fail' && typeof opts.fail === 'function') opts.fail(res);
    if (typeof opts.complete === 'function') opts.complete(res);
  }
  function fail(res) {
    const out = { errMsg: res.errMsg };
    if (REQUEST_ERRNO && res.errno !== undefined) out.errno = res.errno;
    try { answer('fail', out); } catch (e) { N.reportError(e); }
  }
  task.__fail = fail;
  let spec;
  try {
    spec = requestOptions(opts);
  } catch (e) {
    task.__ended = true;
    setTimeout(function () { fail(e && e.errMsg ? e : { errMsg: 'request:fail ' + String(e && e.message || e) }); }, 0);
    return task;
  }
  const dataType = opts.dataType === undefined ? 'json' : opts.dataType;
  task.__id = N.request(spec, function (event) {
    if (task.__ended) return;
    if (event.type === 'headers') {
      task.__headers.emit({ header: event.header, statusCode: event.statusCode, cookies: event.cookies });
    } else if (event.type === 'chunk') {
      task.__chunks.emit({ data: event.data });
    } else if (event.type === 'fail') {
      task.__ended = true;
      N.requestEnded(task.__id);
      fail(event);
    } else {
      task.__ended = true;
      N.requestEnded(task.__id);
      let data = event.data;
      if (spec.chunked) data = '';
      else if (dataType === 'json' && typeof data === 'string') {
        try { data = JSON.parse(data); } catch (e) { /* stays a string, as in WeChat */ }
      }
      answer('success', {
        data: data, statusCode: event.statusCode, header: event.header, cookies: event.cookies, errMsg: 'request:ok',
      });
    }
  });
  return task;
};
[['request', '1.0.0'], ['request.object.responseType', '1.7.0'], ['request.object.timeout', '2.10.0'],
  ['request.object.enableChunked', '2.20.2'], ['request.object.redirect', '3.2.2'],
  ['request.success.header', '1.2.0'], ['request.success.cookies', '2.10.0'],
  ['RequestTask', '1.4.0'], ['RequestTask.abort', '1.4.0'],
  ['RequestTask.onHeadersReceived', '2.1.0'], ['RequestTask.offHeadersReceived', '2.1.0'],
  ['RequestTask.onChunkReceived', '2.20.1'], ['RequestTask.offChunkReceived', '2.20.1'],
].forEach(function (e) { canIUseTable[e[0]] = e[1]; });
