/**
 * `npm run reliability`: runs the whole test suite once and writes RELIABILITY.md from
 * docs/reliability.md, with what this run measured. In the source:
 * - `[[file › describe › test]]` cites a test: it becomes the test's name with how it ended and how
 *   long it took; `[[file › describe › *]]` cites every test under a describe (or a whole file). A
 *   citation that matches no test stops the script, so the document cannot cite a test that is gone.
 * - `{{name}}` is a figure a test recorded (test/support/figures.ts); a missing one stops the script.
 * - `{{run}}` is the run itself: its date, commit, whether the tree was clean, machine and totals.
 * A test that fails is written as FAILS, and the script exits non-zero after writing the document.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const SOURCE = join(ROOT, 'docs/reliability.md');
const TARGET = join(ROOT, 'RELIABILITY.md');

type Assertion = { ancestorTitles: string[]; title: string; status: string; duration?: number };
type Report = {
  numTotalTests: number;
  numFailedTests: number;
  testResults: { name: string; assertionResults: Assertion[] }[];
};

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const commit = git('rev-parse', '--short', 'HEAD');
const clean = git('status', '--porcelain') === '';

const dir = mkdtempSync(join(tmpdir(), 'ges-reliability-'));
const reportFile = join(dir, 'report.json');
const figuresFile = join(dir, 'figures.jsonl');
writeFileSync(figuresFile, '');
const started = Date.now();
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, RELIABILITY_FIGURES: figuresFile } },
);
const seconds = Math.round((Date.now() - started) / 1000);
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;

const tests = report.testResults.flatMap((file) =>
  file.assertionResults.map((a) => ({
    path: [relative(ROOT, file.name), ...a.ancestorTitles, a.title],
    status: a.status,
    ms: a.duration ?? 0,
  })),
);
const figures = new Map<string, unknown>();
for (const line of readFileSync(figuresFile, 'utf8').split('\n').filter(Boolean)) {
  const { name, value, unit } = JSON.parse(line) as { name: string; value: unknown; unit?: string };
  figures.set(name, unit ? `${format(value)} ${unit}` : value);
}

function format(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k} ${format(v)}`)
      .join(', ');
  }
  return String(value);
}

const duration = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const problems: string[] = [];

function cite(reference: string): string {
  const wanted = reference.split(' › ').map((s) => s.trim());
  const all = wanted.at(-1) === '*';
  const prefix = all ? wanted.slice(0, -1) : wanted;
  const found = tests.filter(
    (t) =>
      (all ? t.path.length >= prefix.length : t.path.length === prefix.length) &&
      prefix.every((part, i) => t.path[i] === part),
  );
  if (!found.length) {
    problems.push(`cites no test: ${reference}`);
    return `\`${reference}\` — **NOT FOUND**`;
  }
  const failed = found.filter((t) => t.status !== 'passed');
  const ms = found.reduce((n, t) => n + t.ms, 0);
  const verdict = failed.length
    ? `**FAILS** (${failed.map((t) => t.path.at(-1)).join('; ')})`
    : all
      ? `${found.length === 1 ? 'its test' : `${found.length} tests, all`} passed, ${duration(ms)}`
      : `passed, ${duration(ms)}`;
  return `\`${reference}\` — ${verdict}`;
}

const source = readFileSync(SOURCE, 'utf8');
const runLine =
  `Run of ${new Date(started).toISOString().slice(0, 10)}, commit ${commit}` +
  `${clean ? '' : ' (with uncommitted changes)'}, by \`npm run reliability\` on ${cpus().length} cores, ` +
  `Node ${process.versions.node}: ${report.numTotalTests} tests, ${report.numFailedTests} failed, ${seconds} s.`;
const written = source
  .replace(/\[\[([^\]]+)\]\]/g, (_, reference: string) => cite(reference.replace(/\s+/g, ' ')))
  .replace(/\{\{([^}]+)\}\}/g, (_, name: string) => {
    const key = name.replace(/\s+/g, ' ').trim();
    if (key === 'run') return runLine;
    if (!figures.has(key)) {
      problems.push(`no figure: ${key}`);
      return '**NOT MEASURED**';
    }
    return format(figures.get(key));
  });
writeFileSync(
  TARGET,
  `<!-- Written by npm run reliability (scripts/reliability.ts) from docs/reliability.md: edit that. -->\n${written}`,
);
console.log(`\nRELIABILITY.md written: ${runLine}`);
for (const p of problems) console.error(`reliability: ${p}`);
process.exit(run.status === 0 && problems.length === 0 ? 0 : 1);
