#!/usr/bin/env node
// Runs the TypeScript of cli/ through tsx (a dependency), so the checkout needs no build step and
// `npm install -g` works the same way.
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { program } = await tsImport('../cli/main.ts', {
  parentURL: import.meta.url,
  tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
});
await program.parseAsync(process.argv);
