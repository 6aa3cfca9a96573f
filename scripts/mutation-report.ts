import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Stryker's JSON report (reports/mutation/mutation.json, `npm run mutate`) as the table of
 * RELIABILITY.md's mutation section: the score per file and every surviving mutant, by line.
 * `npx tsx scripts/mutation-report.ts [report.json]`, printed to stdout.
 */

type Mutant = {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
};
type Report = { files: Record<string, { mutants: Mutant[] }> };

const path = process.argv[2] ?? 'reports/mutation/mutation.json';
const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
const DETECTED = ['Killed', 'Timeout'];
const UNDETECTED = ['Survived', 'NoCoverage'];

const rows: string[] = [];
const survivors: string[] = [];
let detectedAll = 0;
let validAll = 0;
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const detected = mutants.filter((m) => DETECTED.includes(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.includes(m.status));
  const valid = detected + undetected.length;
  detectedAll += detected;
  validAll += valid;
  const score = valid ? ((100 * detected) / valid).toFixed(1) : '–';
  rows.push(`| \`${file}\` | ${score} % | ${detected} | ${undetected.length} | ${mutants.length} |`);
  for (const m of undetected.sort((a, b) => a.location.start.line - b.location.start.line)) {
    const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60);
    survivors.push(
      `- \`${file}:${m.location.start.line}\` ${m.mutatorName}${replacement ? ` → \`${replacement}\`` : ''} (${m.status})`,
    );
  }
}
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const date = new Date().toISOString().slice(0, 10);
console.log(
  [
    `Run: ${date}, commit ${commit}, \`npm run mutate\`. Score: ${((100 * detectedAll) / validAll).toFixed(1)} % (${detectedAll} of ${validAll} mutants detected).`,
    '',
    '| file | score | killed | survived | mutants |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    survivors.length ? 'Surviving mutants:' : 'No mutant survived.',
    '',
    ...survivors,
  ].join('\n'),
);
