/** Shared C sources of both native backends for the build variant, space-separated, relative to the working directory. */
export declare const sources: string;
/** Include directories (public qco.h, shared headers, node-addon-api), space-separated, relative to the working directory. */
export declare const include: string;
/** Preprocessor definitions of the build variant. */
export declare const defines: string;
/** Extra compiler flags of the build variant. */
export declare const cflags: string;
/** Extra linker flags of the build variant. */
export declare const ldflags: string;
/** Absolute paths of the AddressSanitizer program's sources. */
export declare function asanSources(): string[];
/** Absolute path of the shared C sources. */
export declare const csrc: string;
/** Absolute path of the public C API header directory (qco.h). */
export declare const includeDir: string;
/** Absolute path of @qco/conformance's csrc/ (native-suite.c, qco-suite.h); throws when it is not installed. */
export declare function suiteDir(): string;
