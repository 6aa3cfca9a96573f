import { parseArgs } from 'node:util';

/** What `npm run bench` measures, from flags or BENCH_* variables (flags win). */
export type BenchOptions = {
  /** graph sizes in elements (vertices plus edges) for snapshot, restore and RSS */
  sizes: number[];
  api: { requests: number; warmup: number; concurrency: number; throughputRequests: number };
  initRuns: number;
  /** worker instances (processes) a job's messages are spread over */
  workers: number;
  sections: Set<Section>;
  json: string | undefined;
  /** whole runs of every section, one after the other: their spread shows how noisy the machine was */
  runs: number;
  /** where to write the Markdown report (BENCHMARKS.md), if anywhere */
  markdown: string | undefined;
};

export const SECTIONS = ['bundles', 'api', 'data'] as const;
export type Section = (typeof SECTIONS)[number];

const USAGE = `npm run bench -- [options]

  --quick              small sizes only (2k and 20k elements), fewer requests: a run of about a minute
  --sizes=10000,...    graph sizes in elements (default 10000,100000,1000000; env BENCH_SIZES)
  --requests=N         add-backup latency samples of each kind (default 200; env BENCH_REQUESTS)
  --concurrency=N      callers at once for requests/s (default 8; env BENCH_CONCURRENCY)
  --init-runs=N        fresh processes per bundle for init time (default 7; env BENCH_INIT_RUNS)
  --workers=N          worker instances polling the job queue (default 4; env BENCH_WORKERS)
  --only=api,data,bundles   run some sections only (env BENCH_ONLY)
  --runs=N             whole runs, one after another, for their spread (default 2; env BENCH_RUNS)
  --json=FILE          also write every figure as JSON
  --markdown=FILE      write the report, e.g. BENCHMARKS.md (env BENCH_MARKDOWN)
`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      'init-runs': { type: 'string' },
      workers: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'string' },
      runs: { type: 'string' },
      markdown: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = values.quick || env.BENCH_QUICK === '1';
  const int = (flag: string | undefined, name: string, fallback: number) => {
    const raw = flag ?? env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: a positive integer, not ${raw}`);
    return n;
  };
  const sizesRaw = values.sizes ?? env.BENCH_SIZES;
  const sizes = sizesRaw
    ? sizesRaw.split(',').map((s) => {
        const n = Number(s.trim().replace(/_/g, ''));
        if (!Number.isInteger(n) || n < 10) throw new Error(`--sizes: ${s} is not a size (≥ 10)`);
        return n;
      })
    : quick
      ? [2_000, 20_000]
      : [10_000, 100_000, 1_000_000];
  const onlyRaw = values.only ?? env.BENCH_ONLY;
  const sections = new Set<Section>(
    onlyRaw
      ? onlyRaw.split(',').map((s) => {
          if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s}`);
          return s as Section;
        })
      : SECTIONS,
  );
  const requests = int(values.requests, 'BENCH_REQUESTS', quick ? 40 : 200);
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    api: {
      requests,
      warmup: quick ? 5 : 20,
      concurrency: int(values.concurrency, 'BENCH_CONCURRENCY', 8),
      throughputRequests: requests,
    },
    initRuns: int(values['init-runs'], 'BENCH_INIT_RUNS', quick ? 3 : 7),
    workers: int(values.workers, 'BENCH_WORKERS', 4),
    sections,
    json: values.json ?? env.BENCH_JSON,
    runs: int(values.runs, 'BENCH_RUNS', 2),
    markdown: values.markdown ?? env.BENCH_MARKDOWN,
  };
}
