/**
 * node:fs for the core's ES modules, loaded through require rather than
 * imported: an ES import of a builtin builds its namespace from every export,
 * and reading `fs.ReadStream` for it loads Node's whole streams stack (5–12 ms
 * of a command's start-up here), which the core never uses.
 */
import { createRequire } from 'node:module';

/** The node:fs module. */
export const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
