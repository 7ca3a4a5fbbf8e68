// The errno table alone (see errno.js): plain data, no core state.
'use strict';
module.exports = require('../dist/errno.js');
