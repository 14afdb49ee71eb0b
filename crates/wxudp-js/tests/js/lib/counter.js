let n = 0;
let loads = (globalThis.__counterLoads = (globalThis.__counterLoads || 0) + 1);
module.exports = {
  next() { return ++n; },
  loads() { return loads; },
  filename: __filename,
  dirname: __dirname,
};
