/** Options of one addon build. */
export interface BuildAddonOptions {
  target: string;
  pkgDir?: string;
  gypDir?: string;
  variant?: 'release' | 'test' | 'asan';
  node?: string;
  nodedir?: string;
  force?: boolean;
}
/** Build `<target>.node` into <package>/addon/abi<N>[-variant]/; never throws for a failed build. */
export declare function run(options: BuildAddonOptions): { ok: boolean; file: string; reason: string };
/** Directory name under addon/ for a Node ABI and variant. */
export declare function layoutName(abi: string, variant: 'release' | 'test' | 'asan'): string;
/** The headers directory for a Node binary, or why there is none. */
export declare function findHeaders(node: string, nodedir?: string): { dir?: string; reason?: string };
/** NODE_MODULE_VERSION of the headers under `nodedir`. */
export declare function abiOf(nodedir: string): string | undefined;
