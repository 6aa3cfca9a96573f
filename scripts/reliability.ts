/**
 * `npm run reliability`: runs the whole test suite once and rewrites, in RELIABILITY.md, every part
 * that says what a run measured. The prose is edited by hand; these parts are the script's:
 * - a cited test, `<!--t-->`file › describe › test` — result<!--/t-->`: the result becomes how the
 *   test ended and how long it took; `… › *` cites every test under a describe (or a whole file). A
 *   citation that matches no test stops the script, so the document cannot cite a test that is gone.
 * - a figure a test recorded (test/support/figures.ts), `<!--f:name-->value<!--/f-->`; a missing one
 *   stops the script.
 * - the run, `<!--run-->…<!--/run-->`: its date, commit, whether the tree was clean, machine, totals.
 * To add one, write `[[file › describe › test]]`, `{{name}}` or `{{run}}`: the next run marks it.
 * A test that fails is written as FAILS, and the script exits non-zero after writing the document.
 * `--report=DIR` writes from an earlier run's report.json and figures.jsonl instead of running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const TARGET = join(ROOT, 'RELIABILITY.md');

type Assertion = { ancestorTitles: string[]; title: string; status: string; duration?: number };
type Report = {
  numTotalTests: number;
  numFailedTests: number;
  startTime: number;
  testResults: { name: string; endTime?: number; assertionResults: Assertion[] }[];
};

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

const earlier = process.argv.find((a) => a.startsWith('--report='))?.slice('--report='.length);
const dir = earlier ?? mkdtempSync(join(tmpdir(), 'ges-reliability-'));
const reportFile = join(dir, 'report.json');
const figuresFile = join(dir, 'figures.jsonl');
const metaFile = join(dir, 'meta.json');
let status = 0;
if (!earlier) {
  // The commit the run measures, as it starts (the run itself writes nothing in the tree).
  const at = { commit: git('rev-parse', '--short', 'HEAD'), clean: git('status', '--porcelain') === '' };
  writeFileSync(metaFile, JSON.stringify(at));
  writeFileSync(figuresFile, '');
  const run = spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, RELIABILITY_FIGURES: figuresFile } },
  );
  status = run.status ?? 1;
}
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
const { commit, clean } = JSON.parse(readFileSync(metaFile, 'utf8')) as { commit: string; clean: boolean };
const started = report.startTime;
const seconds = Math.round(
  (Math.max(...report.testResults.map((f) => f.endTime ?? started)) - started) / 1000,
);

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

const source = readFileSync(TARGET, 'utf8');
const runLine =
  `Run of ${new Date(started).toISOString().slice(0, 10)}, commit ${commit}` +
  `${clean ? '' : ' (with uncommitted changes)'}, by \`npm run reliability\` on ${cpus().length} cores, ` +
  `Node ${process.versions.node}: ${report.numTotalTests} tests, ${report.numFailedTests} failed, ${seconds} s.`;
const cited = (reference: string) => `<!--t-->${cite(reference.replace(/\s+/g, ' ').trim())}<!--/t-->`;
const figure = (name: string) => {
  const key = name.replace(/\s+/g, ' ').trim();
  if (key === 'run') return `<!--run-->${runLine}<!--/run-->`;
  if (!figures.has(key)) problems.push(`no figure: ${key}`);
  return `<!--f:${key}-->${figures.has(key) ? format(figures.get(key)) : '**NOT MEASURED**'}<!--/f-->`;
};
const written = source
  .replace(/<!--t-->`([^`]+)`[\s\S]*?<!--\/t-->/g, (_, reference: string) => cited(reference))
  .replace(/\[\[([^\]]+)\]\]/g, (_, reference: string) => cited(reference))
  .replace(/<!--f:([^>]+)-->[\s\S]*?<!--\/f-->/g, (_, name: string) => figure(name))
  .replace(/<!--run-->[\s\S]*?<!--\/run-->/g, () => figure('run'))
  .replace(/\{\{([^}]+)\}\}/g, (_, name: string) => figure(name));
writeFileSync(TARGET, written);
console.log(`\nRELIABILITY.md written: ${runLine}`);
for (const p of problems) console.error(`reliability: ${p}`);
process.exit(status === 0 && problems.length === 0 ? 0 : 1);
