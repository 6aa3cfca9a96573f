import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { buildConsole } from '../console/build.js';
import { PROJECT_ROOT } from '../local/resources.js';
import { median } from './report.js';

/**
 * The esbuild options of serverless.yml's `custom.esbuild` in the service at `root` (as `osls print`
 * resolves them), minus serverless-esbuild's own keys, with its `plugins` file loaded: the benchmark
 * bundles each function exactly as `npm run package` does (bundle everything, the AWS SDK included).
 */
export type BundleSettings = BuildOptions;

const PLUGIN_ONLY_KEYS = [
  'skipRebuild',
  'outputFileExtension',
  'exclude',
  'external',
  'packager',
  'outputWorkFolder',
  'watch',
  'plugins',
  'concurrency',
  'keepOutputDirectory',
  'zipConcurrency',
  'installExtraArgs',
  'nativeZip',
  'packagerOptions',
];

export async function bundleSettings(root = PROJECT_ROOT): Promise<BundleSettings> {
  const osls = join(root, 'node_modules', '.bin', 'osls');
  const { stdout } = await promisify(execFile)(osls, ['print', '--stage', 'aws', '--format', 'json'], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  const esbuild = (JSON.parse(stdout) as { custom: { esbuild: Record<string, unknown> } }).custom.esbuild;
  const options = Object.fromEntries(Object.entries(esbuild).filter(([k]) => !PLUGIN_ONLY_KEYS.includes(k)));
  const pluginsFile = typeof esbuild.plugins === 'string' ? esbuild.plugins : undefined;
  const plugins = pluginsFile
    ? (createRequire(join(root, 'package.json'))(join(root, pluginsFile)) as Plugin[])
    : [];
  return { ...options, plugins } as BundleSettings;
}

/** What a bundle holds: bytes of output by npm package, or by folder of ours (`lib/records`, ...). */
export type Part = { name: string; bytes: number };

/**
 * One bundle, with `settings` (those of bundleSettings()); its size, its source map's, and its
 * largest parts (esbuild's metafile).
 */
export async function bundle(
  entry: string,
  outfile: string,
  settings: BundleSettings,
): Promise<{ bytes: number; mapBytes: number; parts: Part[] }> {
  const { metafile } = await build({
    ...settings,
    entryPoints: [entry],
    outfile,
    logLevel: 'error',
    metafile: true,
  });
  const size = (file: string) =>
    stat(file).then(
      (s) => s.size,
      () => 0,
    );
  const byPart = new Map<string, number>();
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  for (const [file, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const name = pkg ?? file.split('/').slice(0, 2).join('/');
    byPart.set(name, (byPart.get(name) ?? 0) + bytesInOutput);
  }
  const parts = [...byPart].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { bytes: await size(outfile), mapBytes: await size(`${outfile}.map`), parts: parts.slice(0, 12) };
}

export type BundleResult = {
  name: string;
  bytes: number;
  mapBytes: number;
  /** its largest parts, by package (or folder of ours) */
  parts: Part[];
  /**
   * ms to require the bundle, with NODE_OPTIONS=--enable-source-maps as serverless.yml deploys it:
   * the median wall time, and the median CPU time (user + system, every thread) of the same runs. On
   * a shared, busy machine the wall time includes waiting for a core; on an idle one it can be below
   * the CPU time, V8 compiling and collecting on threads of its own.
   */
  init: { wallMs: number; cpuMs: number };
  /** the same without source maps: what the maps cost at init */
  initNoMaps: { wallMs: number; cpuMs: number };
};

/** Every function of functions/, bundled into `dir`, each loaded `runs` times in a fresh node. */
export async function benchBundles(
  dir: string,
  env: Record<string, string>,
  runs: number,
  settings: BundleSettings,
) {
  const sources = (await readdir(join(PROJECT_ROOT, 'functions'))).filter((f) => f.endsWith('.ts')).sort();
  await buildConsole(); // what the console's function embeds
  const results: BundleResult[] = [];
  for (const source of sources) {
    const name = basename(source, '.ts');
    const outfile = join(dir, `${name}.cjs`);
    const sizes = await bundle(join(PROJECT_ROOT, 'functions', source), outfile, settings);
    const withMaps: InitTime[] = [];
    const withoutMaps: InitTime[] = [];
    // Alternated, so a busy moment of the machine does not fall on one setting only.
    for (let i = 0; i < runs; i++) {
      withMaps.push(await initTime(outfile, { ...env, NODE_OPTIONS: '--enable-source-maps' }));
      withoutMaps.push(await initTime(outfile, { ...env, NODE_OPTIONS: '' }));
    }
    const medians = (times: InitTime[]) => ({
      wallMs: median(times.map((t) => t.wallMs)),
      cpuMs: median(times.map((t) => t.cpuMs)),
    });
    results.push({ name, ...sizes, init: medians(withMaps), initNoMaps: medians(withoutMaps) });
  }
  return results;
}

type InitTime = { wallMs: number; cpuMs: number };

/**
 * Loads a bundle in a fresh node process and returns the ms from the start of `require` to its end:
 * the module's init (parsing, top-level code, clients and configuration built), not node's own start.
 */
async function initTime(file: string, env: Record<string, string>): Promise<InitTime> {
  const script = `const c = process.cpuUsage(); const t = process.hrtime.bigint();
require(${JSON.stringify(file)});
const wallMs = Number(process.hrtime.bigint() - t) / 1e6; const u = process.cpuUsage(c);
process.stdout.write('\\n' + JSON.stringify({ wallMs, cpuMs: (u.user + u.system) / 1000 }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    // Only what a Lambda would have: its configuration, no tsx loader inherited from this process.
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as InitTime;
  } catch {
    throw new Error(`could not time ${file}: ${stdout}`);
  }
}
