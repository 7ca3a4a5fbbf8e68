/**
 * @qco/drivers-block/nbd — NBD beyond the nbd:// driver the main face
 * registers: the server (the library face of qco-nbd), the client connection
 * itself, an open nbd node's class, and the x509 TLS and authz objects both
 * sides take (QEMU's `--object tls-creds-x509` / `authz-simple`). Importing it
 * loads node:net, node:tls and the wire codecs, which the main face does not.
 */
export { startNbdServer, type NbdListenAddress, type NbdServer, type NbdServerOptions, type NbdServerTls } from './exports/nbd/nbd-server.js';
export type { NbdExportOptions } from './exports/nbd/nbd-export.js';
export { NbdClient, type NbdClientOptions, type NbdServerAddress } from './drivers/nbd/nbd-client.js';
export { NbdBlockDriverState } from './drivers/nbd/nbd-node.js';
export { nbdFilename, parseNbdFilename } from './drivers/nbd/nbd-uri.js';
export { TlsCredsX509, NbdTlsError, createObjectFromSpec, findAuthz, findTlsCreds, registerAuthz, registerTlsCreds, type AuthzSimple, type TlsCredsX509Options } from './nbd/tls-creds.js';
