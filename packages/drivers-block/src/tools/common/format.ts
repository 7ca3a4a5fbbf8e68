/**
 * qemu-io's and qemu-img's number and time formatting, reproduced from their
 * observable output so scripts that parse one parse the other: cvtstr ("64
 * KiB", "1.500 KiB", "32 bytes"), the elapsed-time string ("00.00 sec",
 * "0:00:01.23"), the hexdump of `read -v`, and qemu-img's human sizes.
 */

const UNITS: readonly [number, string][] = [
  [2 ** 60, 'EiB'],
  [2 ** 50, 'PiB'],
  [2 ** 40, 'TiB'],
  [2 ** 30, 'GiB'],
  [2 ** 20, 'MiB'],
  [2 ** 10, 'KiB'],
];

/** qemu-io's cvtstr: three decimals in the largest binary unit, ".000" dropped. */
export function cvtstr(value: number): string {
  for (const [scale, unit] of UNITS) {
    if (value >= scale) return trimZeros((value / scale).toFixed(3), unit);
  }
  return trimZeros(value.toFixed(6), 'bytes');
}

function trimZeros(num: string, unit: string): string {
  const i = num.indexOf('.000');
  return `${i >= 0 ? num.slice(0, i) : num} ${unit}`;
}

/** qemu-io's timestr for a report: "SS.ss sec" under a second's worth of whole seconds, else "H:MM:SS.ss". */
export function timestr(seconds: number, verbose = false): string {
  const whole = Math.floor(seconds);
  const frac = seconds - whole;
  if (verbose || whole > 0) {
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = (whole % 60) + frac;
    return `${h}:${String(m).padStart(2, '0')}:${s.toFixed(2).padStart(5, '0')}`;
  }
  return `${frac.toFixed(2).padStart(5, '0')} sec`;
}

/** qemu-io's print_report: the two lines after a read or write. */
export function report(op: string, seconds: number, offset: number, count: number, total: number, ops: number, terse = false): string {
  const t = seconds > 0 ? seconds : 1e-9;
  if (terse) {
    return `${total},${ops},${timestr(seconds, true)},${(total / t).toFixed(3)},${(ops / t).toFixed(3)}\n`;
  }
  return (
    `${op} ${total}/${count} bytes at offset ${offset}\n` +
    `${cvtstr(total)}, ${ops} ops; ${timestr(seconds)} (${cvtstr(total / t)}/sec and ${(ops / t).toFixed(4)} ops/sec)\n`
  );
}

function isalnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** qemu-io's dump_buffer: 16 bytes a line, hex then alphanumerics, offset in 8 hex digits. */
export function hexdump(buf: Uint8Array, offset: number): string {
  let out = '';
  for (let i = 0; i < buf.length; i += 16) {
    const line = buf.subarray(i, Math.min(i + 16, buf.length));
    out += `${(offset + i).toString(16).padStart(8, '0')}:  `;
    for (const b of line) out += `${b.toString(16).padStart(2, '0')} `;
    out += ' ';
    for (const b of line) out += isalnum(b) ? String.fromCharCode(b) : '.';
    out += '\n';
  }
  return out;
}

/** qemu-img's size_to_str: "1 GiB", "1.5 MiB", "0 B" (at most three significant decimals). */
export function sizeToStr(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  let v = value;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  // QEMU prints with %0.3g: three significant digits, no trailing zeros.
  const s = i === 0 ? String(Math.round(v)) : Number(v.toPrecision(3)).toString();
  return `${s} ${units[i]}`;
}
