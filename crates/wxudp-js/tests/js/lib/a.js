exports.partial = 'a';
exports.fromB = require('./b.js').seen;
