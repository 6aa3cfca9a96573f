import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildConsole } from '../console/build.js';
import { PROJECT_ROOT } from '../local/resources.js';
import { bundle, bundleSettings } from './bundles.js';

/**
 * `npx tsx bench/compare-bundles.ts <rev>`: every function's bundle (as that revision's serverless.yml
 * esbuild settings make it) at <rev> and at HEAD, as a Markdown table for BENCHMARKS.md. The older tree is
 * a temporary git worktree with its own dependencies (npm ci).
 */
const base = process.argv[2];
if (!base) throw new Error('usage: tsx bench/compare-bundles.ts <git revision>');
const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
const head = git('rev-parse', '--short', 'HEAD');
const baseRev = git('rev-parse', '--short', base);

async function sizes(root: string, out: string): Promise<Map<string, number>> {
  const files = (await readdir(join(root, 'functions'))).filter((f) => f.endsWith('.ts'));
  const result = new Map<string, number>();
  // Each revision with its own serverless.yml settings (and plugins), as its `npm run package` made them.
  const settings = await bundleSettings(root);
  for (const file of files) {
    const { bytes } = await bundle(
      join(root, 'functions', file),
      join(out, `${basename(file, '.ts')}.cjs`),
      settings,
    );
    result.set(basename(file, '.ts'), bytes);
  }
  return result;
}

const scratch = await mkdtemp(join(tmpdir(), 'bundles-'));
const before = join(scratch, 'before');
try {
  git('worktree', 'add', '--detach', before, baseRev);
  // The older revision's own dependencies, as its lock file pins them.
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: before,
    stdio: 'ignore',
  });
  await buildConsole(); // what HEAD's console function embeds
  const [old, now] = [
    await sizes(before, join(scratch, 'out-before')),
    await sizes(PROJECT_ROOT, join(scratch, 'out-now')),
  ];
  const kb = (n: number | undefined) =>
    n === undefined ? '—' : `${Math.round(n / 1000).toLocaleString('en')} kB`;
  console.log(`| function | ${baseRev} | ${head} | change |\n|---|---:|---:|---:|`);
  for (const name of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(name);
    const b = now.get(name);
    const change = a && b ? `${Math.round((100 * (b - a)) / a)}%` : 'new';
    console.log(`| ${name} | ${kb(a)} | ${kb(b)} | ${change} |`);
  }
} finally {
  git('worktree', 'remove', '--force', before);
  await rm(scratch, { recursive: true, force: true });
}
