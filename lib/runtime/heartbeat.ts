import type { Deps } from './deps.js';

/** The run a delivery took its job for: the lease its beats renew. */
export type Run = { projectId: string; jobId: string; runId: string };

/** What a delivery tells the heartbeat of its invocation (see `runJob`). */
export type DeliveryLease = {
  /** The delivery took (or continues) its job under `run`: beats renew that run's lease too. */
  claimed(run: Run): void;
  /** A retryable fault: stop beating, and let the message come back in `ms` (not the queue's timeout). */
  retryIn(ms: number): Promise<void>;
};

type Held = { receipt: string; run?: Run; beating: boolean };

/**
 * Keeps the deliveries of one invocation alive while the worker works on them. Each message is kept
 * invisible one lease (`JOB_LEASE_SECONDS`) ahead of its last beat, and the job its run took keeps a
 * lease of the same length: both are short, so a delivery that dies (its Lambda crashed or timed
 * out) is taken over about a lease after its last beat, not after the queue's visibility timeout.
 *
 * A message whose delivery has ended is still hidden until the invocation returns (Lambda deletes
 * the batch's messages only then). Beats stop when the invocation's time is up, as Lambda would
 * stop them; a beat that fails is logged and the next one tries again.
 */
export class Heartbeat {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private beat: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: Pick<Deps, 'queue' | 'jobs' | 'config' | 'clock' | 'log'>,
    /** The invocation's time left (Lambda's `context.getRemainingTimeInMillis`). */
    private readonly remainingMs: () => number,
  ) {}

  /** The first beat, at once (the queue's own timeout is long), then one every `HEARTBEAT_SECONDS`. */
  async start(receipts: string[]): Promise<void> {
    for (const receipt of receipts) this.held.set(receipt, { receipt, beating: true });
    await this.beatOnce();
    this.timer = setInterval(() => {
      this.beat = this.beat.then(() => this.beatOnce());
    }, this.deps.config.heartbeatMs);
    this.timer.unref();
  }

  /** The lease of one delivery of the batch. */
  lease(receipt: string): DeliveryLease {
    return {
      claimed: (run) => {
        const held = this.held.get(receipt);
        if (held) held.run = run;
      },
      retryIn: async (ms) => {
        const held = this.held.get(receipt);
        if (!held) return;
        held.beating = false;
        held.run = undefined;
        await this.beat; // a beat in flight must not hide it for a whole lease after this
        await this.hide([receipt], ms);
      },
    };
  }

  /** The delivery has ended: its run's lease is no longer renewed (its message stays hidden). */
  ended(receipt: string): void {
    const held = this.held.get(receipt);
    if (held) held.run = undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beat;
  }

  private async beatOnce(): Promise<void> {
    if (this.remainingMs() <= 0) {
      clearInterval(this.timer);
      return;
    }
    const beating = [...this.held.values()].filter((h) => h.beating);
    const leaseMs = this.deps.config.jobLeaseMs;
    const until = this.deps.clock.now() + leaseMs;
    await Promise.all([
      this.hide(
        beating.map((h) => h.receipt),
        leaseMs,
      ),
      ...beating.flatMap(({ run }) =>
        run
          ? [
              this.deps.jobs
                .renewLease(run.projectId, run.jobId, run.runId, until)
                .catch((error: unknown) => {
                  this.deps.log.warn('could not renew the lease', {
                    jobId: run.jobId,
                    error: error as Error,
                  });
                }),
            ]
          : [],
      ),
    ]);
  }

  private async hide(receipts: string[], ms: number): Promise<void> {
    if (!receipts.length) return;
    try {
      const { failed } = await this.deps.queue.hideFor(receipts, ms / 1000);
      if (failed.length) this.deps.log.warn('could not keep messages hidden', { messages: failed.length });
    } catch (error) {
      this.deps.log.warn('could not keep messages hidden', { error: error as Error });
    }
  }
}
