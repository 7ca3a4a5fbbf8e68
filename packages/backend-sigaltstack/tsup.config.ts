import { qcoPackage } from '../../tsup.shared.js';

// The shared TypeScript glue is bundled in from its sources, so at run time this
// package needs only @qco/backend-api; @qco/native-common stays a dependency for
// its C sources, which node-gyp compiles at install (and for its types).
export default qcoPackage(
  { index: 'src/index.ts' },
  {
    shims: true,
    noExternal: ['@qco/native-common'],
    esbuildOptions(options) {
      options.conditions = ['qco-source', ...(options.conditions ?? [])];
    },
  },
);
