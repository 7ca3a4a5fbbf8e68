/** Tiny DOM helpers for the page script: elements with attributes and children, and text measuring. */

type Child = Node | string | null | undefined | false;

/** An element with attributes (data-*, class, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

let ctx: CanvasRenderingContext2D | null = null;

/** Width in pixels of the widest of `texts` in `font`. */
export function textWidth(texts: readonly string[], font: string): number {
  ctx ??= document.createElement('canvas').getContext('2d');
  if (ctx === null) return Math.max(0, ...texts.map((t) => t.length * 8));
  ctx.font = font;
  return Math.ceil(Math.max(0, ...texts.map((t) => (ctx as CanvasRenderingContext2D).measureText(t).width)));
}
