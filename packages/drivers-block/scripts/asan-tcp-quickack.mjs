#!/usr/bin/env node
// Drive the tcp-quickack addon built under AddressSanitizer (by qco-asan, which
// runs this script) from node with libasan preloaded: a connected TCP socket
// takes the option, a file, a unix socket and a closed descriptor are refused
// with their errno, and every kind of misuse throws without crashing.
// Exit status 0 only when all of it ran clean.
import { join } from 'node:path';
import { asanScratchDir, runAsanExercise } from '@qco/native-common/asan-exercise';

const out = asanScratchDir();

runAsanExercise({ target: 'qco_tcp_quickack', name: 'exercise-tcp-quickack.cjs', body: `
const fs = require('node:fs');
const net = require('node:net');
const file = ${JSON.stringify(join(out, 'not-a-socket'))};
const sock = ${JSON.stringify(join(out, 'quickack.sock'))};
fs.writeFileSync(file, '');
const fd = fs.openSync(file, 'r');
assert(a.quickAck(fd) === -88, 'ENOTSOCK for a file: ' + a.quickAck(fd));
fs.closeSync(fd);
assert(a.quickAck(987654) === -9, 'EBADF for a descriptor that is not open');
throws(() => a.quickAck(), 'no arguments');
throws(() => a.quickAck('3'), 'fd not a number');
throws(() => a.quickAck(-1), 'negative fd');
throws(() => a.quickAck(0.5), 'fractional fd');
throws(() => a.quickAck(2 ** 40), 'fd beyond int');
const server = net.createServer((c) => c.end());
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => {
    assert(a.quickAck(c._handle.fd) === 0, 'a connected TCP socket takes TCP_QUICKACK');
    c.destroy();
    try { fs.unlinkSync(sock); } catch {}
    const us = net.createServer(() => {});
    us.listen(sock, () => {
      const u = net.connect(sock, () => {
        const r = a.quickAck(u._handle.fd);
        assert(r === -95 || r === -92, 'a unix socket refuses a TCP option: ' + r);
        u.destroy();
        us.close();
        server.close();
        console.log('tcp-quickack addon: all checks passed under AddressSanitizer');
      });
    });
  });
});
` });
