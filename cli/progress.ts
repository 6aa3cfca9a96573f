import cliProgress from 'cli-progress';
import type { Api, Json } from './client.js';
import { CliError, Exit } from './errors.js';

export type Count = { done: number; expected: number };
export type JobProgress = {
  /** 0–100, the job's own `jobProgress`. */
  percent: number;
  /** Vertices and edges together. */
  elements: Count;
  vertices?: Count;
  edges?: Count;
  shards?: Count;
};

const count = (value: unknown): Count | undefined => {
  if (!value || typeof value !== 'object') return undefined;
  const { done, expected } = value as Record<string, unknown>;
  return typeof done === 'number' && typeof expected === 'number' ? { done, expected } : undefined;
};

/**
 * The progress of a job as the job center reports it. The one place that knows where the counts
 * sit: `jobDetail` today, `progressDetail` soon (either spelling of either tree is read).
 */
export function progressOf(job: Json): JobProgress {
  const detail = job?.progressDetail ?? job?.progress_detail ?? job?.jobDetail ?? job?.job_detail ?? {};
  const vertices = count(detail.vertices);
  const edges = count(detail.edges);
  const shards = count(detail.shards);
  const raw = Number(job?.jobProgress ?? job?.job_progress ?? 0);
  const elements = {
    done: (vertices?.done ?? 0) + (edges?.done ?? 0),
    expected: (vertices?.expected ?? 0) + (edges?.expected ?? 0),
  };
  return {
    percent: Number.isFinite(raw) ? Math.max(0, Math.min(100, raw)) : 0,
    elements,
    ...(vertices && { vertices }),
    ...(edges && { edges }),
    ...(shards && { shards }),
  };
}

export const isEnded = (job: Json) => job?.status === 'success' || job?.status === 'failed';

export type WatchOptions = {
  /** How to tell the user to resume watching (`ges-backup jobs watch G J`). */
  resume: string;
  json?: boolean;
  intervalMs?: number;
  /** Where progress goes: a live bar when it is a terminal, plain lines otherwise. */
  stream?: NodeJS.WriteStream;
};

/**
 * Polls the job center until the job ends. Ctrl-C stops watching (not the job), says how to resume,
 * and exits 130. A failed job is a CliError (exit 7) with the job's error code and reason.
 */
export async function watchJob(
  api: Api,
  graphId: string,
  jobId: string,
  options: WatchOptions,
): Promise<Json> {
  const stream = options.stream ?? process.stderr;
  const display = options.json ? undefined : stream.isTTY ? new Bar(stream) : new Lines(stream, jobId);
  const started = Date.now();
  const onInterrupt = () => {
    display?.stop();
    stream.write(
      `\nStopped watching job ${jobId}; the job goes on (it was not cancelled).\nResume with: ${options.resume}\n`,
    );
    if (options.json) process.stdout.write(`${JSON.stringify({ jobId, graphId, watching: false })}\n`);
    process.exit(Exit.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (;;) {
      const job = await api.job(graphId, jobId);
      display?.update(job, (Date.now() - started) / 1000);
      if (isEnded(job)) {
        display?.stop();
        if (job.status === 'failed') {
          throw new CliError(
            `job ${jobId} failed: ${job.failReason ?? job.errorMessage ?? 'no reason given'}`,
            Exit.jobFailed,
            job.errorCode,
          );
        }
        return job;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

interface Display {
  update(job: Json, elapsedSeconds: number): void;
  stop(): void;
}

const rate = (done: number, seconds: number) => (seconds > 0 ? Math.round(done / seconds) : 0);

/** Seconds left at the pace so far, once there is a pace. */
const eta = (percent: number, elapsed: number) =>
  percent >= 100 ? '0s' : percent > 0 ? `${Math.ceil((elapsed * (100 - percent)) / percent)}s` : '?';

/** The live bar: percent, elements done of expected, rate, elapsed and ETA. */
class Bar implements Display {
  #bar: cliProgress.SingleBar;
  #stopped = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#bar = new cliProgress.SingleBar(
      {
        stream,
        format:
          '{bar} {percentage}% | {done}/{expected} elements | {rate} el/s | {duration_formatted} elapsed | ETA {remaining} | {status}',
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(100, 0, { done: 0, expected: '?', rate: 0, remaining: '?', status: 'waiting' });
  }

  update(job: Json, elapsed: number): void {
    const p = progressOf(job);
    this.#bar.update(Math.round(p.percent), {
      done: p.elements.done,
      expected: p.elements.expected || '?',
      rate: rate(p.elements.done, elapsed),
      remaining: eta(p.percent, elapsed),
      status: job.status,
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#bar.stop();
  }
}

/** Not a terminal: one plain line each time the progress moves. */
class Lines implements Display {
  #last = '';
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly jobId: string,
  ) {}

  update(job: Json, elapsed: number): void {
    const p = progressOf(job);
    const shards = p.shards ? `, shards ${p.shards.done}/${p.shards.expected}` : '';
    const elements = p.elements.expected ? ` ${p.elements.done}/${p.elements.expected} elements` : '';
    const state = `${job.status} ${Math.round(p.percent)}%${elements}${shards}`;
    if (state === this.#last) return;
    this.#last = state;
    const pace = p.elements.expected ? `, ${rate(p.elements.done, elapsed)} el/s` : '';
    this.stream.write(`job ${this.jobId}: ${state}${pace}, ${elapsed.toFixed(1)} s elapsed\n`);
  }

  stop(): void {}
}
