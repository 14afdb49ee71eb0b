const a = require('./a.js');
exports.seen = a.partial === 'a' ? 'b saw a partial a' : 'b saw nothing';
