import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { type ApiResult, benchAddBackup } from './api.js';
import { type BundleResult, benchBundles, bundle } from './bundles.js';
import { benchSize, type SizeResult, warmUpStore } from './data.js';
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

const TARGETS = {
  apiLatency: 1.3,
  snapshot: 0.8,
  restore: 0.8,
  rssGrowth: 1.5,
  bundleBytes: 1_000_000,
  initMs: 150,
};

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
    `${machine.memoryGB} GiB RAM, node ${machine.node}, load ${machine.load.start.toFixed(1)}; ${machine.code}\n`,
);

const dir = await mkdtemp(join(tmpdir(), 'ges-bench-'));
log(`starting DynamoDB Local and fauxqs...`);
const stack = await startBenchStack();
const results: {
  bundles?: BundleResult[];
  api?: ApiResult;
  sizes: SizeResult[];
} = { sizes: [] };
try {
  if (options.sections.has('bundles')) {
    log(`bundling functions/*.ts and timing their init, ${options.initRuns} runs each...`);
    results.bundles = await benchBundles(dir, stack.env, options.initRuns);
    printBundles(results.bundles);
  }

  if (options.sections.has('api')) {
    log(`add-backup: ${options.api.requests} requests of each kind, then requests/s...`);
    results.api = await benchAddBackup(stack, options.api);
    printApi(results.api);
  }

  if (options.sections.has('data')) {
    // The worker is bundled as for Lambda and run in a process of its own (see worker-child.ts).
    const workerFile = join(dir, 'worker-child.cjs');
    await bundle(new URL('./worker-child.ts', import.meta.url).pathname, workerFile);
    // The add-backup requests above left their jobs' messages: no worker should spend time on them.
    await stack.raw.sqs.send(new PurgeQueueCommand({ QueueUrl: stack.resources.jobQueue.url }));
    log(`warming DynamoDB Local up...`);
    await warmUpStore(stack);
    for (const size of options.sizes) {
      await stack.resetGraphTable(); // each size on an empty table, the last one's memory freed
      log(`graph of ${size.toLocaleString('en-US')} elements...`);
      results.sizes.push(await benchSize(stack, size, workerFile, { workers: options.workers }, log));
    }
    printData(results.sizes);
  }
  machine.load.end = loadavg()[0] ?? 0;
  console.log(`\nrun time: ${elapsed()}; load average ${machine.load.end.toFixed(1)} at the end`);
  if (options.json) {
    await writeFile(
      options.json,
      JSON.stringify(
        {
          machine,
          options: { ...options, sections: [...options.sections] },
          ...results,
          runSeconds: (now() - started) / 1000,
        },
        null,
        2,
      ),
    );
    log(`figures written to ${options.json}`);
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
  console.log('## Snapshot (backup job) vs raw parallel Query; restore vs raw BatchWriteItem\n');
  const rows: string[][] = [];
  for (const s of sizes) {
    const perS = (ms: number) => s.size / (ms / 1000);
    const mbPerS = (ms: number) => mb(s.dataBytes) / (ms / 1000);
    const snap = compare('', '', perS(s.snapshot.ms), perS(s.snapshot.baselineMs), TARGETS.snapshot, true);
    const rest = compare(
      '',
      '',
      perS(s.restore.visibleMs),
      perS(s.restore.baselineMs),
      TARGETS.restore,
      true,
    );
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
        `${fmt(s.size)} restore`,
        fmt(perS(s.restore.visibleMs)),
        fmt(mbPerS(s.restore.visibleMs)),
        fmt(perS(s.restore.baselineMs)),
        fmt(mbPerS(s.restore.baselineMs)),
        ratio(rest.ratio),
        `${rest.target} ${verdict(rest)}`,
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
      "\nto the job's end (the graph runs on the restored data); baseline: BatchWriteItem of the same" +
      '\nrecords into fresh partitions, 32 requests in flight.\n',
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
      '\njob showed its expected counts. restore: of which (loading) until every part was loaded, the rest' +
      '\nbeing the read-back check; until idle: until the last invocation ended (after the job, the' +
      '\nreplaced generation is dropped). invocations: worker invocations, backup + restore. RSS: the' +
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

/** The largest size against the one nearest a tenth of it (100k against 1M by default). */
function rssGrowth(sizes: SizeResult[]) {
  const to = sizes.at(-1);
  const smaller = sizes.slice(0, -1);
  if (!to || !smaller.length) return undefined;
  const distance = (s: SizeResult) => Math.abs(Math.log(s.size / (to.size / 10)));
  const from = smaller.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  return {
    from,
    to,
    backup: compare('', '', to.snapshot.rssBytes, from.snapshot.rssBytes, TARGETS.rssGrowth, false),
    restore: compare('', '', to.restore.rssBytes, from.restore.rssBytes, TARGETS.rssGrowth, false),
  };
}

/** The commit measured, and whether the service's code had uncommitted changes. */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--', 'lib', 'functions', 'serverless.yml').split('\n');
    const dirty = changed.filter(Boolean).length;
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${dirty} changed files` : ''}`;
  } catch {
    return 'commit unknown';
  }
}
