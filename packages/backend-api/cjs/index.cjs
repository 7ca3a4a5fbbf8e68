// The CommonJS entry is the ES module itself (require(esm), Node >= 20.19), so the
// error classes defined here are one class for the core and every backend.
'use strict';
module.exports = require('../dist/index.js');
