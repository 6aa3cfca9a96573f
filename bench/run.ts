import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { type ApiResult, benchAddBackup } from './api.js';
import { type BundleResult, benchBundles, bundle, bundleSettings } from './bundles.js';
import type { Deployed } from './cost.js';
import { benchSize, type SizeResult, warmUpStore } from './data.js';
import { type CodeVersion, type Run, writeReport } from './markdown.js';
import { parseOptions } from './options.js';
import {
  type Comparison,
  compare,
  comparisonTable,
  fmt,
  limitCheck,
  mb,
  now,
  ratio,
  table,
  verdict,
} from './report.js';
import { startBenchStack } from './stack.js';
import { rssGrowth, TARGETS } from './targets.js';

/**
 * `npm run bench`: the service's hot paths on the local stack (DynamoDB Local and fauxqs), every
 * figure beside a baseline measured in the same run, since the machine is shared and noisy. See
 * BENCHMARKS.md for what each figure means and the results of a full run. Not a test: nothing here
 * passes or fails `npm test`; a missed target is printed, and the exit code stays 0.
 */

// The SDK's reminder that it will need Node 22 would drown the table (Node 20 is deliberate here).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const options = parseOptions(process.argv.slice(2), process.env);
const started = now();
const elapsed = () => `${((now() - started) / 1000).toFixed(0)} s`;
/** Progress goes to stderr, stamped, so that a stall shows; the results go to stdout. */
const log = (line: string) => process.stderr.write(`[${elapsed().padStart(6)}] ${line}\n`);

const machine = {
  date: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGB: Math.round(totalmem() / 2 ** 30),
  freeMemoryGB: Math.round(freemem() / 2 ** 30),
  node: process.version,
  code: codeVersion(),
  /** 1-minute load averages at the start and the end: how busy the shared machine was */
  load: { start: loadavg()[0] ?? 0, end: 0 },
};
console.log(
  `# ${machine.command}\n${machine.date}, ${machine.cpus} × ${machine.cpuModel}, ` +
    `${machine.memoryGB} GiB RAM, node ${machine.node}, load ${machine.load.start.toFixed(1)}; commit ` +
    `${machine.code.commit}${machine.code.clean ? '' : ` + ${machine.code.changed.length} changed files`}\n`,
);

const dir = await mkdtemp(join(tmpdir(), 'ges-bench-'));
log(`starting DynamoDB Local and fauxqs...`);
const stack = await startBenchStack();
const settings = await bundleSettings();
const deployed: Deployed = {
  shards: stack.deps.config.graphShards,
  shardsPerTask: stack.deps.config.shardsPerTask,
  workerMemoryMB: stack.resources.worker.memorySize,
  workerTimeoutSeconds: stack.resources.worker.timeoutSeconds,
  taskBudgetSeconds: stack.deps.config.taskBudgetMs / 1000,
  jobStallSeconds: stack.deps.config.jobStallMs / 1000,
  targetWallSeconds: 3600,
};
const runs: Run[] = [];
try {
  // The worker is bundled as for Lambda and run in processes of its own (see worker-child.ts).
  const workerFile = join(dir, 'worker-child.cjs');
  if (options.sections.has('data')) {
    await bundle(new URL('./worker-child.ts', import.meta.url).pathname, workerFile, settings);
    log(`warming DynamoDB Local up...`);
    await warmUpStore(stack);
  }
  for (let n = 1; n <= options.runs; n++) {
    const results: Run = { sizes: [], load: { start: loadavg()[0] ?? 0, end: 0 } };
    runs.push(results);
    console.log(`# run ${n} of ${options.runs}\n`);
    if (options.sections.has('bundles')) {
      log(`run ${n}: bundling functions/*.ts and timing their init, ${options.initRuns} runs each...`);
      results.bundles = await benchBundles(dir, stack.env, options.initRuns, settings);
      printBundles(results.bundles);
    }

    if (options.sections.has('api')) {
      log(`run ${n}: add-backup: ${options.api.requests} requests of each kind, then requests/s...`);
      results.api = await benchAddBackup(stack, options.api);
      printApi(results.api);
    }

    if (options.sections.has('data')) {
      // The add-backup requests above left their jobs' messages: no worker should spend time on them.
      await stack.raw.sqs.send(new PurgeQueueCommand({ QueueUrl: stack.resources.jobQueue.url }));
      for (const size of options.sizes) {
        await stack.resetGraphTable(); // each size on an empty table, the last one's memory freed
        log(`run ${n}: graph of ${size.toLocaleString('en-US')} elements...`);
        results.sizes.push(await benchSize(stack, size, workerFile, { workers: options.workers }, log));
      }
      printData(results.sizes);
    }
    results.load.end = loadavg()[0] ?? 0;
  }
  machine.load.end = loadavg()[0] ?? 0;
  const runSeconds = (now() - started) / 1000;
  console.log(`\nrun time: ${elapsed()}; load average ${machine.load.end.toFixed(1)} at the end`);
  const all = {
    machine,
    options: { ...options, sections: [...options.sections] },
    deployed,
    runs,
    runSeconds,
  };
  if (options.json) {
    await writeFile(options.json, JSON.stringify(all, null, 2));
    log(`figures written to ${options.json}`);
  }
  if (options.markdown) {
    await writeFile(options.markdown, writeReport(all));
    log(`report written to ${options.markdown}`);
  }
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
// The service's clients keep sockets alive; the run is over.
process.exit(0);

function printBundles(bundles: BundleResult[]) {
  console.log('## Bundles (esbuild as serverless.yml: minified, node20, cjs, AWS SDK included)\n');
  console.log(
    table(
      [
        'function',
        'bundle',
        'source map',
        'init wall',
        'init CPU',
        'no maps: wall',
        'no maps: CPU',
        '< 1 MB',
        '< 150 ms',
      ],
      bundles.map((b) => [
        b.name,
        `${fmt(b.bytes / 1000)} kB`,
        `${fmt(b.mapBytes / 1000)} kB`,
        `${fmt(b.init.wallMs)} ms`,
        `${fmt(b.init.cpuMs)} ms`,
        `${fmt(b.initNoMaps.wallMs)} ms`,
        `${fmt(b.initNoMaps.cpuMs)} ms`,
        verdict(limitCheck('', 'B', b.bytes, TARGETS.bundleBytes)),
        verdict(limitCheck('', 'ms', b.init.wallMs, TARGETS.initMs)),
      ]),
    ),
  );
  console.log(
    "\ninit: medians over fresh node processes of the time to require() the bundle with the functions'" +
      '\nenvironment and NODE_OPTIONS=--enable-source-maps, as serverless.yml deploys them (then without).' +
      '\nThe target is held against the wall time; the CPU time (user + system, all threads) is there to' +
      '\ntell a busy machine (wall well above CPU) from a slow init. 1 MB = 1,000,000 bytes.\n',
  );
}

function printApi(api: ApiResult) {
  const { latency, throughput, errors } = api;
  const { handler, useCase, baselineWithRead, baseline } = latency;
  console.log('## add-backup API (Lambda handler in process) vs raw TransactWriteItems + SendMessage\n');
  const rows: Comparison[] = [
    compare('latency p50', 'ms', handler.p50, baseline.p50, TARGETS.apiLatency, false),
    compare('latency p99', 'ms', handler.p99, baseline.p99, TARGETS.apiLatency, false),
    compare(
      `requests/s (${throughput.concurrency} at once)`,
      '/s',
      throughput.rps,
      throughput.baselineRps,
      1 / TARGETS.apiLatency,
      true,
    ),
  ];
  console.log(comparisonTable(rows));
  console.log(
    `\nWhere the time goes (ms, ${latency.samples} sequential samples of each, interleaved):\n\n${table(
      ['', 'p50', 'p90', 'p99'],
      [
        ['handler', handler, 'middy, token, event parsing, then the use case'],
        ['use case', useCase, 'startBackup() called directly'],
        ['baseline + graph read', baselineWithRead, 'consistent GetItem of the graph, then the baseline'],
        ['baseline', baseline, 'TransactWriteItems of 4 items + SendMessage'],
      ].map(([name, s, what]) => {
        const l = s as { p50: number; p90: number; p99: number };
        return [`${name} (${what})`, fmt(l.p50), fmt(l.p90), fmt(l.p99)];
      }),
    )}`,
  );
  console.log(
    `\nrequests/s over ${throughput.requests} requests of each kind. Errors: handler ${errors.handler}, ` +
      `use case ${errors.useCase}, baseline + read ${errors.baselineWithRead}, baseline ${errors.baseline}` +
      `${errors.firstError ? ` (first: ${errors.firstError.slice(0, 200)})` : ''}.\n`,
  );
}

function printData(sizes: SizeResult[]) {
  console.log(
    '## Snapshot (backup job) vs raw parallel Query; restore vs raw BatchWriteItem puts, its drop vs deletes\n',
  );
  const rows: string[][] = [];
  for (const s of sizes) {
    const perS = (ms: number) => s.size / (ms / 1000);
    const mbPerS = (ms: number) => mb(s.dataBytes) / (ms / 1000);
    const snap = compare('', '', perS(s.snapshot.ms), perS(s.snapshot.baselineMs), TARGETS.snapshot, true);
    const switchMs = s.restore.switchMs ?? Number.NaN;
    const dropMs = s.restore.dropMs ?? Number.NaN;
    // Judged against the baselines spread as the job's tasks are; one process's shown beside.
    const rest = compare('', '', perS(switchMs), perS(s.restore.spreadBaselineMs), TARGETS.restore, true);
    const drop = compare('', '', perS(dropMs), perS(s.restore.dropSpreadBaselineMs), TARGETS.drop, true);
    rows.push(
      [
        `${fmt(s.size)} snapshot`,
        fmt(perS(s.snapshot.ms)),
        fmt(mbPerS(s.snapshot.ms)),
        fmt(perS(s.snapshot.baselineMs)),
        fmt(mbPerS(s.snapshot.baselineMs)),
        ratio(snap.ratio),
        `${snap.target} ${verdict(snap)}`,
      ],
      [
        `${fmt(s.size)} restore to the switch`,
        fmt(perS(switchMs)),
        fmt(mbPerS(switchMs)),
        fmt(perS(s.restore.spreadBaselineMs)),
        fmt(mbPerS(s.restore.spreadBaselineMs)),
        ratio(rest.ratio),
        `${rest.target} ${verdict(rest)}`,
      ],
      [
        `${fmt(s.size)} restore's drop`,
        fmt(perS(dropMs)),
        fmt(mbPerS(dropMs)),
        fmt(perS(s.restore.dropSpreadBaselineMs)),
        fmt(mbPerS(s.restore.dropSpreadBaselineMs)),
        ratio(drop.ratio),
        `${drop.target} ${verdict(drop)}`,
      ],
      [
        `${fmt(s.size)} (one process) restore, drop`,
        '',
        '',
        `${fmt(perS(s.restore.baselineMs))}, ${fmt(perS(s.restore.dropBaselineMs))}`,
        '',
        `${ratio(s.restore.baselineMs / switchMs)}, ${ratio(s.restore.dropBaselineMs / dropMs)}`,
        '–',
      ],
    );
  }
  console.log(
    table(['elements', 'records/s', 'MB/s', 'baseline rec/s', 'baseline MB/s', 'ratio', 'target'], rows),
  );
  console.log(
    '\nMB: the items as DynamoDB sizes them (names plus values). Snapshot: from the first worker' +
      '\ninvocation to the end of the BackupGraph job; baseline: Query of every shard partition at once,' +
      '\npages discarded (mean of a run before and one after the job). Restore: from the first invocation' +
      "\nto the switch; drop: from the switch to the job's end; baselines: BatchWriteItem puts and deletes" +
      `\nof the same records in fresh partitions, 32 requests in flight, spread over one process a worker` +
      "\ninstance as the job's tasks are (the one-process figures beside).\n",
  );

  console.log('## Cost by graph size (worker in its own processes, bundled as for Lambda)\n');
  const secs = (ms: number | undefined) => (ms === undefined ? '–' : fmt(ms / 1000));
  console.log(
    table(
      [
        'elements',
        'data MB',
        'backup MB',
        'seed s',
        'backup s',
        '(counting)',
        'restore s',
        '(loading)',
        'until idle s',
        'invocations',
        'RSS backup',
        'RSS restore',
      ],
      sizes.map((s) => [
        fmt(s.size),
        fmt(mb(s.dataBytes)),
        fmt(mb(s.snapshot.backupBytes)),
        secs(s.seedMs),
        secs(s.snapshot.ms),
        secs(s.snapshot.countMs),
        secs(s.restore.visibleMs),
        secs(s.restore.loadMs),
        secs(s.restore.totalMs),
        `${s.snapshot.invocations} + ${s.restore.invocations}`,
        `${fmt(mb(s.snapshot.rssBytes))} MB`,
        `${fmt(mb(s.restore.rssBytes))} MB`,
      ]),
    ),
  );
  console.log(
    '\nseed: BatchWriteItem of the graph, 32 requests in flight. backup: of which (counting) before the' +
      '\njob showed its expected counts. restore: of which (loading) until every part was loaded, then' +
      '\nthe switch and the drop of the replaced generation; until idle: until the last invocation' +
      '\nended. invocations: worker invocations, backup + restore. RSS: the' +
      '\nlargest peak of any worker instance.',
  );
  const growth = rssGrowth(sizes);
  if (growth) {
    console.log(
      `\nworker peak RSS, ${fmt(growth.to.size)} vs ${fmt(growth.from.size)} elements: backup ` +
        `${ratio(growth.backup.ratio)} ${verdict(growth.backup)}, restore ${ratio(growth.restore.ratio)} ` +
        `${verdict(growth.restore)} (target ${growth.backup.target})`,
    );
  }
}

/**
 * The commit measured, and whether the tree had uncommitted changes (the report being written
 * aside): the benchmark's own code is part of what a report states.
 */
function codeVersion(): CodeVersion {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const report = options.markdown
      ? relative(git('rev-parse', '--show-toplevel'), resolve(options.markdown))
      : '';
    const changed = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3))
      .filter((path) => path !== report);
    return { commit: git('rev-parse', '--short', 'HEAD'), clean: changed.length === 0, changed };
  } catch {
    return { commit: 'unknown', clean: false, changed: [] };
  }
}
