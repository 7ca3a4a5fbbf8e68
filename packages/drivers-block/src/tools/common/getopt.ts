/**
 * A POSIX getopt for the command-line tools and qemu-io's command lines:
 * short options from an optstring ("P:qvz"), bundled flags (-qv), attached or
 * separate arguments (-P0xab, -P 0xab), long options listed by name, and "--".
 * Parsing stops at the first operand, as QEMU's commands expect.
 */

/** Parsed options (last value wins; flags map to 'true') and operands. */
export interface GetoptResult {
  readonly opts: Map<string, string>;
  /** Every option in order, repeats kept (for -c given several times). */
  readonly list: [string, string][];
  readonly operands: string[];
}

/** An option the optstring does not know, or one missing its argument; `message` is glibc's wording (qemu-io prints it). */
export class GetoptError extends Error {
  override name = 'GetoptError';
  constructor(
    message: string,
    /** 'unknown': not an option of this command; 'missing': its argument is missing. */
    readonly kind: 'unknown' | 'missing',
    /** The command-line word it was found in, as typed ('-x', '-qx', '--bogus'). */
    readonly arg: string,
  ) {
    super(message);
  }
}

/** Parse `args` against `optstring` and long options (`name` flag, `name=` takes a value). */
export function getopt(args: readonly string[], optstring: string, longOpts: readonly string[] = [], permute = false): GetoptResult {
  const map = new Map<string, string>();
  const list: [string, string][] = [];
  const opts = {
    set(k: string, v: string) {
      map.set(k, v);
      list.push([k, v]);
    },
  };
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (longOpts.includes(name)) {
        if (eq >= 0) throw new GetoptError(`option '--${name}' doesn't allow an argument`, 'unknown', a);
        opts.set(name, 'true');
      } else if (longOpts.includes(`${name}=`)) {
        const v = eq >= 0 ? a.slice(eq + 1) : args.at(++i);
        if (v === undefined) throw new GetoptError(`option '--${name}' requires an argument`, 'missing', a);
        opts.set(name, v);
      } else {
        throw new GetoptError(`unrecognized option '${a}'`, 'unknown', a);
      }
      continue;
    }
    if (a.length < 2 || a[0] !== '-') {
      if (!permute) {
        operands.push(...args.slice(i));
        break;
      }
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const at = optstring.indexOf(c);
      if (at < 0 || c === ':') throw new GetoptError(`invalid option -- '${c}'`, 'unknown', a);
      if (optstring[at + 1] === ':') {
        let v = a.slice(j + 1);
        if (v === '') {
          const next = args.at(++i);
          if (next === undefined) throw new GetoptError(`option requires an argument -- '${c}'`, 'missing', a);
          v = next;
        }
        opts.set(c, v);
        break;
      }
      opts.set(c, 'true');
    }
  }
  return { opts: map, list, operands };
}
