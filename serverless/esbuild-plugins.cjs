// esbuild plugins for the functions' bundles (serverless.yml's `custom.esbuild.plugins`; bench/bundles.ts
// bundles with the same list, so what the benchmark measures is what is deployed).
//
// zod 4's `z` namespace re-exports every locale it has (`z.locales`, `core.locales`): about 40 kB... of
// … of a bundle in all, and a namespace object that esbuild
// cannot tree-shake. The service never calls `z.config(z.locales.xx())`: zod uses its English messages
// (which it registers itself, from locales/en.js), so the bundles get a locales index with English
// alone. Any other locale is then undefined in the bundle, never silently different.
const { dirname, join } = require('node:path');

const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)) return undefined;
      const en = join(dirname(args.importer), '..', 'locales', 'en.js');
      return { path: 'zod-locales-en', namespace: 'zod-english-only', pluginData: { en } };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.pluginData.en)};`,
      loader: 'js',
      resolveDir: dirname(args.pluginData.en),
    }));
  },
};

module.exports = [zodEnglishOnly];
