// The CommonJS entry of @qco/core is its ES module itself (require(esm), Node >= 20.19),
// so `require('@qco/core')` and `import '@qco/core'` in one process share one core.
'use strict';
module.exports = require('../dist/index.js');
