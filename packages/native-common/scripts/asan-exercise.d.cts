/** The scratch directory (build-asan/ of the package), created. */
export declare function asanScratchDir(): string;
/** libasan and libubsan of the compiler that built the addon ($CC, else gcc), for LD_PRELOAD. */
export declare function sanitizerRuntimes(): [string, string];
/** Path of the AddressSanitizer build of `target` that qco-asan made for this Node. */
export declare function asanAddonPath(target: string): string;
/** Run `body` (CommonJS source using `a`, `assert`, `throws`) in a child Node with the sanitizers preloaded; exits the process. */
export declare function runAsanExercise(options: { target: string; name: string; body: string; nodeArgs?: readonly string[] }): never;
