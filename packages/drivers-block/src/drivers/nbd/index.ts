/** The nbd client driver. */
export { NbdBlockDriverState, nbdDriver, nbdTcpDriver, nbdUnixDriver, nbdFilename, NBD_OPTIONS } from './nbd-driver.js';
export { NbdClient, type NbdClientOptions, type NbdServerAddress } from './nbd-client.js';
export { NbdClientError } from './nbd-errors.js';
export { parseNbdFilename } from './nbd-uri.js';
