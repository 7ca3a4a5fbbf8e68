/** Shared C sources of both native backends, space-separated, relative to the working directory. */
export declare const sources: string;
/** Include directories (shared headers, node-addon-api), space-separated, relative to the working directory. */
export declare const include: string;
/** Absolute paths of the AddressSanitizer program's sources. */
export declare const asanSources: string[];
/** Absolute path of the shared C sources. */
export declare const csrc: string;
