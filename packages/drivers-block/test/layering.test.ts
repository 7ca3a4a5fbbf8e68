/**
 * The rooms of this package depend one way: the block layer (src/block/) knows
 * no driver, export or tool; drivers know no export or tool; exports know no
 * tool. Every relative import in src/ is checked against that order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
/** Rank of each room: a file may import only from rooms of lower or equal rank. */
const RANK: Readonly<Partial<Record<string, number>>> = { block: 0, nbd: 1, drivers: 2, exports: 3, tools: 4, bin: 5 };

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function room(file: string): string {
  const first = relative(src, file).split('/')[0] ?? '';
  return first.endsWith('.ts') ? 'face' : first;
}

const violations: string[] = [];
for (const file of tsFiles(src)) {
  const from = room(file);
  if (from === 'face') continue; // index.ts is the package face and may name every room
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const to = room(resolve(dirname(file), m[1]));
    const a = RANK[from];
    const b = RANK[to];
    if (to === 'face' || a === undefined || b === undefined || b > a) violations.push(`${relative(src, file)} imports ${m[1]} (${from} → ${to})`);
  }
}

describe('/layering', () => {
  test('every room of src/ is known', () => {
    const rooms = readdirSync(src).filter((e) => statSync(join(src, e)).isDirectory());
    expect(rooms.filter((r) => RANK[r] === undefined)).toEqual([]);
  });
  test('block layer imports no driver, export or tool; drivers no export or tool; exports no tool', () => {
    expect(violations).toEqual([]);
  });
});
