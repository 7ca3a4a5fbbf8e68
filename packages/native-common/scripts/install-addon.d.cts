/** Build `<target>.node` in the package at `pkgDir` if it is missing or stale; never throws for a failed build (returns false). */
export declare function run(target: string, pkgDir?: string, force?: boolean): boolean;
