import { defineConfig } from 'tsup';
import { qcoPackage } from '../../tsup.shared.js';

export default [
  qcoPackage({ render: 'src/render.ts', cli: 'src/cli.ts' }, { external: ['playwright-core'], clean: false }),
  // The page script, with Observable Plot and d3 bundled in: inlined into the HTML.
  defineConfig({ entry: { page: 'src/page/main.ts' }, format: ['iife'], platform: 'browser', target: 'es2022', minify: true, clean: false, dts: false, noExternal: [/.*/] }),
];
