/**
 * x509 certificates for TLS tests, generated at test time with gnutls'
 * certtool (Debian gnutls-bin) into directories laid out as QEMU's
 * tls-creds-x509 and libnbd's tls-certificates expect them: ca-cert.pem plus
 * server-cert.pem / server-key.pem, or client-cert.pem / client-key.pem.
 * A second, unrelated CA signs a "rogue" client whose certificate a server
 * must refuse, and a "rogue" server whose certificate a client must refuse;
 * another client of the right CA has a DN outside any allow list.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The generated credential directories. */
export interface TlsTestCerts {
  /** endpoint=server: ca-cert.pem, server-cert.pem, server-key.pem (localhost, 127.0.0.1). */
  readonly serverDir: string;
  /** endpoint=client, signed by the same CA. */
  readonly clientDir: string;
  /** The client certificate's DN as gnutls prints it. */
  readonly clientDn: string;
  /** endpoint=client of the same CA with another DN (not on an allow list). */
  readonly otherClientDir: string;
  /** endpoint=client whose certificate (and CA) nobody trusts. */
  readonly rogueClientDir: string;
  /** endpoint=server whose certificate (and CA) no client trusts; it trusts our clients. */
  readonly rogueServerDir: string;
}

function certtool(args: string[]): void {
  try {
    execFileSync('certtool', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('certtool is not installed (Debian package gnutls-bin, listed in setup/apt-peers.txt)');
    throw new Error(`certtool ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

function makeCa(dir: string, name: string): { key: string; cert: string } {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'ca-key.pem');
  const cert = join(dir, 'ca-cert.pem');
  writeFileSync(join(dir, 'ca.info'), `cn = ${name}\nca\ncert_signing_key\nexpiration_days = 2\n`);
  certtool(['--generate-privkey', '--no-text', '--outfile', key]);
  certtool(['--generate-self-signed', '--no-text', '--load-privkey', key, '--template', join(dir, 'ca.info'), '--outfile', cert]);
  return { key, cert };
}

function issue(dir: string, ca: { key: string; cert: string }, side: 'server' | 'client', template: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(ca.cert, join(dir, 'ca-cert.pem'));
  const key = join(dir, `${side}-key.pem`);
  writeFileSync(join(dir, `${side}.info`), template);
  certtool(['--generate-privkey', '--no-text', '--outfile', key]);
  certtool([
    '--generate-certificate',
    '--no-text',
    '--load-privkey',
    key,
    '--load-ca-certificate',
    ca.cert,
    '--load-ca-privkey',
    ca.key,
    '--template',
    join(dir, `${side}.info`),
    '--outfile',
    join(dir, `${side}-cert.pem`),
  ]);
}

/** Generate a CA, a server and three clients under `root`. */
export function makeTlsTestCerts(root: string): TlsTestCerts {
  const ca = makeCa(join(root, 'ca'), 'qco test CA');
  const rogueCa = makeCa(join(root, 'rogue-ca'), 'qco rogue CA');
  const serverDir = join(root, 'server');
  const serverTemplate = 'organization = qco\ncn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 2\n';
  issue(serverDir, ca, 'server', serverTemplate);
  const rogueServerDir = join(root, 'rogue-server');
  issue(rogueServerDir, rogueCa, 'server', serverTemplate);
  // The rogue server trusts both CAs: its own (qemu-nbd checks its certificate against it) and
  // our clients' (so the failure is the client refusing the server, not the other way round).
  writeFileSync(join(rogueServerDir, 'ca-cert.pem'), Buffer.concat([readFileSync(rogueCa.cert), readFileSync(ca.cert)]));
  const client = (o: string, cn: string): string => `country = GB\norganization = ${o}\ncn = ${cn}\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 2\n`;
  const clientDir = join(root, 'client');
  issue(clientDir, ca, 'client', client('qco', 'client'));
  const otherClientDir = join(root, 'other-client');
  issue(otherClientDir, ca, 'client', client('qco', 'intruder'));
  const rogueClientDir = join(root, 'rogue-client');
  issue(rogueClientDir, rogueCa, 'client', client('qco', 'client'));
  // The rogue client trusts our server (so the failure is the server refusing it, not the client).
  copyFileSync(ca.cert, join(rogueClientDir, 'ca-cert.pem'));
  return { serverDir, clientDir, clientDn: 'CN=client,O=qco,C=GB', otherClientDir, rogueClientDir, rogueServerDir };
}
