/** The NBD server: exports BlockBackends over NBD (library face of qco-nbd). */
export { startNbdServer, type NbdListenAddress, type NbdServer, type NbdServerOptions, type NbdServerTls } from './nbd-server.js';
export type { NbdExportOptions } from './nbd-export.js';
