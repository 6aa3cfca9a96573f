import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the console (Preact + htm) into console/dist/: `app.js.txt` and `app.css.txt`, which
 * functions/console.ts embeds as text (esbuild's text loader, serverless.yml custom.esbuild.loader),
 * so the console ships inside its Lambda. Run before packaging (`npm run package` does, through
 * `prepackage`) and by the local stack; `tsx console/build.ts` by hand.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(HERE, 'dist');

export async function buildConsole(outDir = CONSOLE_DIST): Promise<{ js: string; css: string }> {
  const common = {
    bundle: true,
    minify: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  } as const;
  const [script, style] = await Promise.all([
    build({
      ...common,
      entryPoints: [join(HERE, 'src/main.ts')],
      format: 'esm',
      target: ['es2022', 'chrome111', 'firefox115', 'safari16.4'],
      platform: 'browser',
    }),
    build({ ...common, entryPoints: [join(HERE, 'src/styles.css')], target: ['chrome111', 'safari16.4'] }),
  ]);
  const js = script.outputFiles[0]?.text ?? '';
  const css = style.outputFiles[0]?.text ?? '';
  await mkdir(outDir, { recursive: true });
  // Written aside and renamed: a stack starting beside another never bundles a half-written file.
  const put = async (name: string, text: string) => {
    const temporary = join(outDir, `.${name}.${process.pid}`);
    await writeFile(temporary, text);
    await rename(temporary, join(outDir, name));
  };
  await Promise.all([put('app.js.txt', js), put('app.css.txt', css)]);
  return { js, css };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { js, css } = await buildConsole();
  console.log(
    `console/dist: app.js ${(js.length / 1024).toFixed(1)} KB, app.css ${(css.length / 1024).toFixed(1)} KB`,
  );
}
