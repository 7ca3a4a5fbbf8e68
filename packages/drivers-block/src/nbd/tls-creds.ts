/**
 * x509 TLS credentials as QEMU's tls-creds-x509 object has them: a directory
 * holding ca-cert.pem, and server-cert.pem / server-key.pem (endpoint=server)
 * or client-cert.pem / client-key.pem (endpoint=client, needed only when the
 * server verifies clients), and `verify-peer` (default on, QEMU's default:
 * a server then demands a client certificate signed by the CA, a client checks
 * the server's certificate and name). Objects are named by id, as QEMU's
 * `--object tls-creds-x509,id=…` and `tls-creds=…` options name them; the
 * same registry holds authz-simple objects (one allowed client identity, the
 * certificate's distinguished name as gnutls prints it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { splitQemuOptsList } from '../block/options.js';

/** A TLS or authz object could not be created or found (QEMU's messages). */
export class NbdTlsError extends Error {
  override readonly name = 'NbdTlsError';
}

/** Options of a tls-creds-x509 object. */
export interface TlsCredsX509Options {
  /** Object id. */
  readonly id: string;
  /** Directory with the PEM files. */
  readonly dir: string;
  /** Which side of the connection these credentials are for. */
  readonly endpoint?: 'server' | 'client';
  /** Verify the peer's certificate (default true). */
  readonly verifyPeer?: boolean;
}

/** Loaded x509 credentials. */
export class TlsCredsX509 {
  /** Object id. */
  readonly id: string;
  /** 'server' or 'client'. */
  readonly endpoint: 'server' | 'client';
  /** Whether the peer's certificate is checked. */
  readonly verifyPeer: boolean;
  /** CA certificate(s). */
  readonly ca: Buffer;
  /** Our certificate, if any. */
  readonly cert: Buffer | undefined;
  /** Our key, if any. */
  readonly key: Buffer | undefined;

  constructor(opts: TlsCredsX509Options) {
    this.id = opts.id;
    this.endpoint = opts.endpoint ?? 'client';
    this.verifyPeer = opts.verifyPeer ?? true;
    const side = this.endpoint;
    this.ca = readCred(opts.dir, 'ca-cert.pem', true) as Buffer;
    // A server always needs its certificate; a client only when the server asks for one.
    this.cert = readCred(opts.dir, `${side}-cert.pem`, side === 'server');
    this.key = readCred(opts.dir, `${side}-key.pem`, side === 'server');
    if ((this.cert === undefined) !== (this.key === undefined)) {
      throw new NbdTlsError(`Unable to access credentials ${join(opts.dir, this.cert === undefined ? `${side}-cert.pem` : `${side}-key.pem`)}: No such file or directory`);
    }
  }

  /** Options for tls.createSecureContext. */
  secureContextOptions(): SecureContextOptions {
    return { ca: this.ca, ...(this.cert !== undefined ? { cert: this.cert } : {}), ...(this.key !== undefined ? { key: this.key } : {}) };
  }
}

function readCred(dir: string, file: string, required: boolean): Buffer | undefined {
  const path = join(dir, file);
  try {
    return readFileSync(path);
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message;
    throw new NbdTlsError(`Unable to access credentials ${path}: ${why}`);
  }
}

/** An authz-simple object: the one client identity allowed. */
export interface AuthzSimple {
  /** Object id. */
  readonly id: string;
  /** The allowed distinguished name ('CN=client,O=Example'). */
  readonly identity: string;
}

const tlsObjects = new Map<string, TlsCredsX509>();
const authzObjects = new Map<string, AuthzSimple>();

/** Add tls-creds-x509 credentials to the object registry (replaces one with the same id). */
export function registerTlsCreds(creds: TlsCredsX509): void {
  tlsObjects.set(creds.id, creds);
}

/** The credentials object `id` (QEMU: "No TLS credentials with id '…'"). */
export function findTlsCreds(id: string, endpoint?: 'server' | 'client'): TlsCredsX509 {
  const c = tlsObjects.get(id);
  if (c === undefined) throw new NbdTlsError(`No TLS credentials with id '${id}'`);
  if (endpoint !== undefined && c.endpoint !== endpoint) {
    throw new NbdTlsError(`Expecting TLS credentials with a ${endpoint} endpoint`);
  }
  return c;
}

/** Add an authz-simple object. */
export function registerAuthz(a: AuthzSimple): void {
  authzObjects.set(a.id, a);
}

/** The authz object `id` (QEMU: "Cannot find QAuthZ object '…'"). */
export function findAuthz(id: string): AuthzSimple {
  const a = authzObjects.get(id);
  if (a === undefined) throw new NbdTlsError(`Cannot find QAuthZ object '${id}'`);
  return a;
}

/** A certificate's subject as gnutls prints a DN (most specific first: 'CN=…,O=…,C=…'). */
export function certificateDn(der: Buffer): string {
  // node:crypto loads with the first client certificate checked, not with every tool that takes --object.
  const subject = new (process.getBuiltinModule('node:crypto').X509Certificate)(der).subject;
  return subject.split('\n').reverse().join(',');
}

/**
 * Split an --object spec (QEMU's keyval: `type,key=value,…`, a doubled comma
 * is a literal comma) and create the object. Returns its id.
 */
export function createObjectFromSpec(spec: string): string {
  const [first, ...rest] = splitQemuOptsList(spec);
  const props = new Map<string, string>();
  let type = first;
  if (type.startsWith('qom-type=')) type = type.slice('qom-type='.length);
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new NbdTlsError(`Expected '=' after parameter '${p}'`);
    props.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const id = props.get('id');
  if (id === undefined || id === '') throw new NbdTlsError("Parameter 'id' is missing");
  const bool = (k: string, dflt: boolean): boolean => {
    const v = props.get(k);
    if (v === undefined) return dflt;
    if (v === 'on' || v === 'yes' || v === 'true') return true;
    if (v === 'off' || v === 'no' || v === 'false') return false;
    throw new NbdTlsError(`Parameter '${k}' expects 'on' or 'off'`);
  };
  if (type === 'tls-creds-x509') {
    const dir = props.get('dir');
    if (dir === undefined) throw new NbdTlsError('Missing \'dir\' property value');
    const endpoint = props.get('endpoint') ?? 'client';
    if (endpoint !== 'server' && endpoint !== 'client') throw new NbdTlsError(`Parameter 'endpoint' does not accept value '${endpoint}'`);
    registerTlsCreds(new TlsCredsX509({ id, dir, endpoint, verifyPeer: bool('verify-peer', true) }));
  } else if (type === 'authz-simple') {
    const identity = props.get('identity');
    if (identity === undefined) throw new NbdTlsError("Parameter 'identity' is missing");
    registerAuthz({ id, identity });
  } else {
    throw new NbdTlsError(`invalid object type: ${type}`);
  }
  return id;
}
