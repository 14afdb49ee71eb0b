// wx.getFileSystemManager: the Sync forms and the callback forms on the user data folder,
// package files read-only, WeChat's errMsgs and errnos.
const { assert, eq, run } = require('./harness.js');

function call(fs, method, options) {
  return new Promise(function (resolve) {
    let completed = 0;
    options.success = function (r) { resolve({ ok: true, r: r, completed: completed }); };
    options.fail = function (r) { resolve({ ok: false, r: r }); };
    options.complete = function () { completed++; };
    const returned = fs[method](options);
    assert(returned === undefined, method + ' returns nothing (no Promise)');
  });
}

run(async function () {
  const fs = wx.getFileSystemManager();
  eq(wx.getFileSystemManager() === fs, true, 'one manager');
  eq(wx.env.USER_DATA_PATH, 'wxfile://usr', 'USER_DATA_PATH');
  const dir = wx.env.USER_DATA_PATH + '/logs';
  fs.mkdirSync(dir);
  fs.writeFileSync(dir + '/a.log', 'line 1\n', 'utf8');
  fs.appendFileSync(dir + '/a.log', 'line 2\n', 'utf8');
  eq(fs.readFileSync(dir + '/a.log', 'utf8'), 'line 1\nline 2\n', 'write, append, read');
  const bytes = fs.readFileSync(dir + '/a.log');
  assert(bytes instanceof ArrayBuffer && bytes.byteLength === 14, 'no encoding: an ArrayBuffer');
  fs.writeFileSync(dir + '/b.bin', new Uint8Array([1, 2, 255]).buffer);
  eq(fs.readFileSync(dir + '/b.bin', 'hex'), '0102ff', 'hex');
  eq(fs.readFileSync(dir + '/b.bin', 'base64'), 'AQL/', 'base64');
  eq(fs.readdirSync(dir), ['a.log', 'b.bin'], 'readdir');
  const st = fs.statSync(dir + '/a.log');
  eq([st.isFile(), st.isDirectory(), st.size], [true, false, 14], 'stat');
  assert(st.lastModifiedTime > 1600000000, 'lastModifiedTime in seconds');
  eq(fs.statSync(dir, true).map(function (e) { return e.path; }), ['/', '/a.log', '/b.bin'], 'stat recursive');
  fs.copyFileSync(dir + '/a.log', dir + '/c.log');
  fs.renameSync(dir + '/c.log', dir + '/d.log');
  fs.unlinkSync(dir + '/d.log');
  eq(fs.accessSync(dir + '/a.log'), undefined, 'access');

  // Sync failures throw an Error with `<api>Sync:fail ...` and the errno.
  let e = null;
  try { fs.readFileSync(dir + '/none.log', 'utf8'); } catch (x) { e = x; }
  eq([e.message, e.errno], ['readFileSync:fail no such file or directory, open wxfile://usr/logs/none.log', 1300002], 'missing');
  try { fs.mkdirSync(dir); } catch (x) { e = x; }
  eq(e.message, 'mkdirSync:fail file already exists wxfile://usr/logs', 'mkdir twice');
  try { fs.rmdirSync(dir); } catch (x) { e = x; }
  eq(e.message, 'rmdirSync:fail directory not empty', 'rmdir not empty');
  try { fs.writeFileSync('app.json', 'x'); } catch (x) { e = x; }
  eq(e.message, 'writeFileSync:fail permission denied, open app.json', 'the package is read only');
  try { fs.readFileSync(wx.env.USER_DATA_PATH + '/../../../etc/passwd', 'utf8'); } catch (x) { e = x; }
  eq(e.errno, 1300013, 'no escape');
  try { fs.readFileSync(42); } catch (x) { e = x; }
  eq(e.message, 'readFileSync:fail parameter error: parameter.filePath should be String instead of Number;', 'types');

  // The callback forms: success or fail, then complete, after the call returns.
  let r = await call(fs, 'readFile', { filePath: dir + '/a.log', encoding: 'utf8' });
  eq([r.ok, r.r.errMsg, r.r.data, r.completed], [true, 'readFile:ok', 'line 1\nline 2\n', 0], 'readFile callbacks');
  r = await call(fs, 'appendFile', { filePath: dir + '/none.log', data: 'x' });
  eq([r.ok, r.r.errMsg, r.r.errno], [false, 'appendFile:fail no such file or directory, open wxfile://usr/logs/none.log', 1300002], 'appendFile needs the file');
  r = await call(fs, 'stat', { path: dir });
  eq([r.ok, r.r.stats.isDirectory()], [true, true], 'stat callback');
  r = await call(fs, 'rmdir', { dirPath: dir, recursive: true });
  eq(r.r.errMsg, 'rmdir:ok', 'rmdir recursive');
  // Package files are readable by their path from the root.
  r = await call(fs, 'readFile', { filePath: 'lib/data.json', encoding: 'utf8' });
  eq(JSON.parse(r.r.data).name, 'esp8266', 'a package file');
  assert(wx.canIUse('getFileSystemManager') && wx.canIUse('FileSystemManager.readFileSync'), 'canIUse');
});
