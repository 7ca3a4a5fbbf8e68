// QEMU's names over the one core instance (see index.cjs).
'use strict';
module.exports = require('../dist/qemu.js');
