/**
 * An NBD server over BlockBackends (QEMU's nbd/server.c as qemu-nbd and the
 * storage daemon use it): `startNbdServer({ listen, exports, tls })` listens
 * on TCP or a unix socket and runs every client as its own coroutines — one
 * for the handshake and receive loop, one per request — so a client's
 * requests never wait for another client's. A client that breaks the
 * protocol is dropped with a logged reason; the others keep being served.
 * With TLS configured, TLS is required (QEMU's behaviour whenever tls-creds
 * is given): options before STARTTLS get NBD_REP_ERR_TLS_REQD.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type PeerCertificate, type SecureContext } from 'node:tls';
import { coroutineCreate, coroutineEnter, type Co } from '@qco/core';
import { coWaitFor } from '@qco/core';
import { NBD_DEFAULT_PORT } from '../../nbd/constants.js';
import { NbdStream, NbdStreamClosedError } from '../../nbd/stream.js';
import { certificateDn, type TlsCredsX509 } from '../../nbd/tls-creds.js';
import { makeExport, type NbdExport, type NbdExportOptions } from './nbd-export.js';
import { serverHandshake, type HandshakeHost } from './server-handshake.js';
import { ServerTransmission } from './server-transmission.js';

/** Where to listen: TCP host/port, or a unix socket path. */
export type NbdListenAddress = { readonly host?: string; readonly port?: number } | { readonly path: string };

/** TLS of a server. */
export interface NbdServerTls {
  /** Server credentials (endpoint=server). */
  readonly creds: TlsCredsX509;
  /** Client certificate DNs allowed (QEMU's --tls-authz with authz-simple); empty or absent: any verified client. */
  readonly authz?: readonly string[];
}

/** Options of startNbdServer. */
export interface NbdServerOptions {
  /** Address to listen on (default: every interface, port 10809, as qemu-nbd). */
  readonly listen?: NbdListenAddress;
  /** What to serve. */
  readonly exports: readonly NbdExportOptions[];
  /** Require TLS. */
  readonly tls?: NbdServerTls;
  /** Clients served at once (-e; further connections are closed at once). Default unlimited. */
  readonly maxClients?: number;
  /** Requests in flight per client (default 64). */
  readonly maxRequests?: number;
  /** WRITE payload bytes in flight per client (default 64 MiB). */
  readonly maxPayloadBytes?: number;
  /** Where dropped connections are reported (default: stderr, as qemu-nbd's error_report). */
  readonly log?: (message: string) => void;
  /** Called when the last client has gone (qemu-nbd without -t exits then). */
  readonly onIdle?: () => void;
}

/** A running server. */
export interface NbdServer {
  /** The TCP port (0 for unix sockets). */
  readonly port: number;
  /** The bound address as Node reports it. */
  readonly address: AddressInfo | string;
  /** Clients connected now. */
  readonly clients: number;
  /** Connections accepted since start. */
  readonly connections: number;
  /** Stop listening and drop every client. */
  close(): Promise<void>;
}

class NbdServerImpl implements NbdServer, HandshakeHost {
  private readonly exportMap = new Map<string, NbdExport>();
  private readonly sockets = new Set<Socket>();
  private readonly secureContext: SecureContext | null;
  readonly tls: 'off' | 'required';
  connections = 0;

  constructor(
    private readonly server: Server,
    exps: NbdExport[],
    private readonly opts: NbdServerOptions,
  ) {
    for (const e of exps) this.exportMap.set(e.name, e);
    this.tls = opts.tls !== undefined ? 'required' : 'off';
    this.secureContext = opts.tls !== undefined ? createSecureContext(opts.tls.creds.secureContextOptions()) : null;
    server.on('connection', (s) => this.accept(s));
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  get address(): AddressInfo | string {
    return this.server.address() as AddressInfo | string;
  }

  get clients(): number {
    return this.sockets.size;
  }

  findExport(name: string): NbdExport | undefined {
    return this.exportMap.get(name);
  }

  exports(): Iterable<NbdExport> {
    return this.exportMap.values();
  }

  /** Report a dropped connection or a listener error. */
  log(message: string): void {
    (this.opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }

  private accept(s: Socket): void {
    this.connections++;
    if (this.opts.maxClients !== undefined && this.sockets.size >= this.opts.maxClients) {
      s.destroy();
      return;
    }
    s.setNoDelay(true);
    this.sockets.add(s);
    s.once('close', () => {
      this.sockets.delete(s);
      if (this.sockets.size === 0) this.opts.onIdle?.();
    });
    coroutineEnter(coroutineCreate(clientEntry, { server: this, stream: new NbdStream(s) }));
  }

  /** @internal One client, from greeting to close. */
  *serveClient(stream: NbdStream): Co {
    try {
      const session = yield* serverHandshake(stream, this);
      if (session === null) {
        stream.end();
        return;
      }
      const t = new ServerTransmission(stream, session, {
        maxRequests: this.opts.maxRequests ?? 64,
        maxPayloadBytes: this.opts.maxPayloadBytes ?? 64 * 1024 * 1024,
      });
      yield* t.run();
      stream.end();
    } catch (e) {
      if (!(e instanceof NbdStreamClosedError)) this.log(`Disconnect client, due to: ${(e as Error).message}`);
      stream.destroy();
    }
  }

  /** STARTTLS: wrap the socket, finish the TLS handshake, check the client's certificate against authz. */
  *starttls(stream: NbdStream): Co {
    const tlsOpts = this.opts.tls as NbdServerTls;
    const raw = stream.detach() as Socket;
    const verify = tlsOpts.creds.verifyPeer;
    const tls = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.secureContext as SecureContext,
      requestCert: verify,
      rejectUnauthorized: verify,
    });
    this.sockets.add(tls);
    tls.once('close', () => this.sockets.delete(tls));
    yield* coWaitFor((done) => {
      const onErr = (err: Error): void => done(err);
      tls.once('error', onErr);
      tls.once('close', () => done(new Error('TLS handshake failed: connection closed')));
      tls.once('secure', () => {
        tls.off('error', onErr);
        done(null);
      });
    });
    stream.reattach(tls);
    const allow = tlsOpts.authz ?? [];
    if (allow.length > 0) {
      // Node gives an empty object when the client sent no certificate, null once the socket is destroyed.
      const cert = tls.getPeerCertificate() as Partial<PeerCertificate> | null;
      const dn = cert !== null && cert.raw !== undefined ? certificateDn(cert.raw) : '';
      if (!allow.includes(dn)) throw new Error(`TLS x509 authz check for ${dn === '' ? '<no certificate>' : dn} is denied`);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}

function* clientEntry(o: { server: NbdServerImpl; stream: NbdStream }): Co {
  yield* o.server.serveClient(o.stream);
}

/** Start an NBD server; resolves once it listens. */
export async function startNbdServer(opts: NbdServerOptions): Promise<NbdServer> {
  if (opts.exports.length === 0) throw new Error('NBD server needs at least one export');
  const exps: NbdExport[] = [];
  for (const o of opts.exports) exps.push(makeExport(o, await o.blk.getLength()));
  const server = createServer({ noDelay: true });
  const impl = new NbdServerImpl(server, exps, opts);
  const listen = opts.listen ?? {};
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in listen) server.listen(listen.path, () => resolve());
    else server.listen(listen.port ?? NBD_DEFAULT_PORT, listen.host, () => resolve());
  });
  server.on('error', (err) => impl.log(`NBD server: ${err.message}`));
  return impl;
}
