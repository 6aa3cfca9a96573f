import {
  ACTIVE_JOBS,
  activeJobKeys,
  jobIndexKeys,
  jobKey,
  jobLedgerPartition,
  jobListKey,
  ledgerEntryKey,
  overdueBefore,
} from '../../core/keys.js';
import {
  type Action,
  type Item,
  pages,
  type Query,
  queryAll,
  type Store,
  type Update,
  when,
  withoutKeys,
} from '../../core/store.js';
import type { Clock } from '../../core/time.js';
import { isTerminal, type JobBase, type JobDetail, type JobRecord, tallied } from './model.js';

/** How a job ends: success, or failure with a GES code and a reason fit for the client. */
export type JobEnd = { status: 'success' } | { status: 'failed'; code: string; message: string };

type JobIds = Pick<JobBase, 'projectId' | 'jobId'>;

/** The two kinds of ledger entries: a unit of work recorded (a part), and a task done. */
export type EntryKind = 'PART' | 'TASK';

/**
 * What a task records in its job's ledger: the entry's name (what it is: recording it again is a
 * duplicate), what it holds, and what it adds to the job's running sums (`tally`).
 */
export type Entry = { name: string; values?: Item; adds: Record<string, number> };

/**
 * Entries are read only while their job runs; they expire on their own a month (beyond the jobs'
 * retention) after they were written, long after any job that wrote them has ended.
 */
const ENTRY_GRACE_DAYS = 30;

const running = when.eq('status', 'running');
const ownedBy = (runId: string) => when.and(running, when.eq('runId', runId));

/**
 * Job records in the control table, and the named actions that change them. A job that has not ended
 * has a deadline (`deadlineAt`, in the index of unended jobs): every write of progress moves it
 * `stallMs` on, so the sweeper fails a job that stopped moving, however long a moving one runs.
 */
export class JobRepo {
  constructor(
    private readonly store: Store,
    private readonly retentionDays: number,
    private readonly stallMs: number,
    private readonly clock: Clock,
  ) {}

  /** Creates a job; fails if the id exists. */
  put(job: JobBase): Action {
    return {
      name: 'put the job',
      table: 'control',
      put: {
        ...jobKey(job.projectId, job.jobId),
        ...jobIndexKeys(job.projectId, job.createdAt, job.jobId),
        ...(!isTerminal(job.status) && activeJobKeys(job.projectId, job.deadlineAt, job.jobId)),
        ...job,
      },
      if: when.absent('pk'),
    };
  }

  /** A job recorded already ended (create, stop, plain start): it expires like any ended job. */
  ended(job: JobBase): JobBase {
    return {
      ...job,
      status: 'success',
      endAt: job.createdAt,
      progress: 100,
      expiresAt: this.expiry(job.createdAt),
    };
  }

  /**
   * Ends a job that has not ended. With `runId`, only while that worker run owns it (the fence that
   * keeps a late or duplicate run from ending a job twice). Ended jobs expire by TTL later.
   */
  end(job: JobIds, end: JobEnd, at: number, runId?: string, detail?: JobDetail): Action {
    return {
      name: 'end the job',
      table: 'control',
      update: jobKey(job.projectId, job.jobId),
      change: {
        set: {
          status: end.status,
          endAt: at,
          expiresAt: this.expiry(at),
          ...(end.status === 'failed' ? { errorCode: end.code, failReason: end.message } : { progress: 100 }),
          ...(detail && { detail }),
        },
        remove: ['leaseUntil', 'gsi2pk', 'gsi2sk'],
      },
      if: runId ? ownedBy(runId) : when.in('status', ['pending', 'running']),
    };
  }

  async get(projectId: string, jobId: string): Promise<JobRecord | undefined> {
    const item = await this.store.get('control', jobKey(projectId, jobId));
    return item && toJob(item);
  }

  /**
   * A project's jobs, newest first, created within [from, to] (epoch ms). Pages through the index
   * and yields job by job, so a caller can stop as soon as its page is full.
   */
  async *listNewestFirst(
    projectId: string,
    from = 0,
    to = Number.MAX_SAFE_INTEGER,
  ): AsyncGenerator<JobRecord> {
    const range = jobListKey(projectId, from, to);
    const query: Query = {
      table: 'control',
      index: 'gsi1',
      pk: range.pk,
      range: { between: [range.from, range.to] },
      forward: false,
    };
    for await (const page of pages(this.store, query)) for (const item of page.items) yield toJob(item);
  }

  /** Jobs of every project that have not ended and are past their deadline, oldest deadline first. */
  async overdue(now: number, limit: number): Promise<JobRecord[]> {
    const page = await this.store.query({
      table: 'control',
      index: 'gsi2',
      pk: ACTIVE_JOBS,
      range: { below: overdueBefore(now) },
      limit,
    });
    return page.items.map(toJob);
  }

  /**
   * The sweeper's guard on actions that end a job: they hold only while the job has not moved since
   * it was read (its deadline is the one read), so failing it for a stall fails no job that has just
   * made progress. (A condition on the ending itself: a transaction touches an item once.)
   */
  whileStalled(actions: Action[], job: Pick<JobBase, 'deadlineAt'>): Action[] {
    const unmoved = when.eq('deadlineAt', job.deadlineAt);
    return actions.map((a) =>
      a.name === 'end the job' ? { ...a, if: a.if ? when.and(a.if, unmoved) : unmoved } : a,
    );
  }

  /**
   * Takes a job for a worker run (not progress: its deadline stays, and a job taken past it is failed): a pending job, or a running one whose owner's lease has run out
   * (its Lambda died or timed out). Returns the job as taken, or undefined when it is not takeable.
   */
  async take(projectId: string, jobId: string, runId: string, now: number, leaseMs: number) {
    const item = await this.store.updateReturning({
      name: 'take the job',
      table: 'control',
      update: jobKey(projectId, jobId),
      change: {
        set: { status: 'running', runId, leaseUntil: now + leaseMs },
        add: { attempts: 1 },
      },
      if: when.and(
        when.exists('pk'),
        when.or(when.eq('status', 'pending'), when.and(running, when.lt('leaseUntil', now))),
      ),
    });
    return item && toJob(item);
  }

  /**
   * Records progress from a view of the job that holds `seen` parts: only if no report from a view
   * with as many or more was recorded (`reportedParts`), so progress never goes backwards when
   * concurrent tasks report out of order. `lost` when the run no longer owns the job.
   */
  async progress(
    projectId: string,
    jobId: string,
    runId: string,
    progress: number,
    detail: JobDetail,
    seen?: number,
  ): Promise<'recorded' | 'stale' | 'lost'> {
    const outcome = await this.store.apply({
      ...this.ownedAction(projectId, jobId, runId, {
        set: { progress, detail, ...(seen !== undefined && { reportedParts: seen }) },
      }),
      if:
        seen === undefined
          ? ownedBy(runId)
          : when.and(ownedBy(runId), when.or(when.absent('reportedParts'), when.lt('reportedParts', seen))),
    });
    if (outcome.ok) return 'recorded';
    const now = outcome.refused[0]?.item;
    return now?.status === 'running' && now.runId === runId ? 'stale' : 'lost';
  }

  /**
   * A run splits its job into `tasks` tasks and starts a ledger of its own (named by the run): the
   * running sums start at zero, and what an earlier run recorded counts no more. `fields` are set
   * with it.
   */
  async startTasks(
    projectId: string,
    jobId: string,
    runId: string,
    tasks: number,
    detail: JobDetail,
    fields: Item = {},
  ) {
    return this.owned(projectId, jobId, runId, {
      set: { ...fields, tasks, detail, progress: 0, ledger: runId, tally: {} },
      remove: ['reportedParts'],
    });
  }

  /**
   * Records an entry in the job's ledger (`job.ledger`) and, when it is new, adds it to the job's
   * running sums as the run that owns the job: an entry recorded already (a duplicate delivery, a
   * task run again) adds nothing. Two writes, not a transaction: the entry goes in the ledger's own
   * partition, and the job's record, which every task of a big job writes, takes a plain update that
   * never meets a transaction's conflict. A run that dies between them leaves an entry its sums do
   * not count: sums are progress, and what must be exact reads the entries (`entries`,
   * `countEntries`). Returns the job as it now is and whether the entry is new, or undefined when the
   * run no longer owns the job on that ledger.
   */
  async record(
    job: JobIds & Pick<JobBase, 'ledger'>,
    runId: string,
    kind: EntryKind,
    entry: Entry,
  ): Promise<{ job: JobRecord; fresh: boolean } | undefined> {
    const { projectId, jobId, ledger } = job;
    if (!ledger) throw new Error(`job ${jobId} has no ledger: its run did not start its tasks`);
    const put = await this.store.apply({
      name: 'record the entry',
      table: 'control',
      put: {
        ...ledgerEntryKey(projectId, jobId, ledger, `${kind}#${entry.name}`),
        ...entry.values,
        entry: entry.name,
        expiresAt: this.expiry(this.clock.now()) + ENTRY_GRACE_DAYS * 86_400,
      },
      if: when.absent('pk'),
    });
    const onLedger = when.and(ownedBy(runId), when.eq('ledger', ledger));
    if (put.ok) {
      const add = Object.fromEntries(Object.entries(entry.adds).map(([name, n]) => [`tally.${name}`, n]));
      const item = await this.store.updateReturning({
        ...this.ownedAction(projectId, jobId, runId, { add }),
        name: 'count the entry',
        if: onLedger,
      });
      return item && { job: toJob(item), fresh: true };
    }
    const now = await this.get(projectId, jobId);
    const owned = now?.status === 'running' && now.runId === runId && now.ledger === ledger;
    return owned ? { job: now, fresh: false } : undefined;
  }

  /**
   * How many tasks whose entries' names begin with `prefix` are done, as far as telling whether all
   * `total` are: the job's sum `sum` when the task's entry was just counted into it (`fresh`) or the
   * sum says all already, else the ledger's TASK entries themselves, since a task run again may be the
   * one a dead delivery recorded and never added to the sums.
   */
  async tasksDone(
    job: JobIds & Pick<JobBase, 'ledger' | 'tally'>,
    counted: { sum: string; prefix: string; fresh: boolean; total: number },
  ): Promise<number> {
    const { sum, prefix, fresh, total } = counted;
    const summed = tallied(job, sum);
    return fresh || summed >= total ? summed : this.countEntries(job, 'TASK', prefix);
  }

  /** How many entries of a kind whose names begin with `prefix` the job's ledger holds. */
  async countEntries(job: JobIds & Pick<JobBase, 'ledger'>, kind: EntryKind, prefix = ''): Promise<number> {
    if (!job.ledger) return 0;
    let count = 0;
    for await (const page of pages(this.store, this.ledgerQuery(job, kind, prefix, true)))
      count += page.count;
    return count;
  }

  /** The entries of a kind in the job's ledger whose names begin with `prefix`, in name order. */
  async entries(job: JobIds & Pick<JobBase, 'ledger'>, kind: EntryKind, prefix = ''): Promise<Item[]> {
    if (!job.ledger) return [];
    const items = await queryAll(this.store, this.ledgerQuery(job, kind, prefix));
    return items.map(withoutEntryKeys);
  }

  private ledgerQuery(job: JobIds & Pick<JobBase, 'ledger'>, kind: EntryKind, prefix: string, count = false) {
    return {
      table: 'control',
      pk: jobLedgerPartition(job.projectId, job.jobId),
      range: { beginsWith: `${job.ledger}#${kind}#${prefix}` },
      ...(count && { count }),
    } satisfies Query;
  }

  /** One entry of the job's ledger, if recorded. */
  async entry(
    job: JobIds & Pick<JobBase, 'ledger'>,
    kind: EntryKind,
    name: string,
  ): Promise<Item | undefined> {
    if (!job.ledger) return undefined;
    const item = await this.store.get(
      'control',
      ledgerEntryKey(job.projectId, job.jobId, job.ledger, `${kind}#${name}`),
    );
    return item && withoutEntryKeys(item);
  }

  /**
   * Moves a job that runs in stages to its next stage, as the owning run, and sets `fields` with it:
   * an action, so that the move can go in one transaction with what it means (a restore's switch).
   * Conditional on the stage it leaves (`from`, or none yet), so of two finishers of a stage one moves.
   */
  moveStage(job: JobIds, runId: string, from: string | undefined, to: string, fields: Item = {}): Action {
    return {
      ...this.ownedAction(job.projectId, job.jobId, runId, { set: { ...fields, stage: to } }),
      name: 'move the job to its next stage',
      if: when.and(ownedBy(runId), from === undefined ? when.absent('stage') : when.eq('stage', from)),
    };
  }

  /**
   * Gives the job back after a retryable fault, so the next delivery can take it at once instead of
   * waiting for the lease to run out.
   */
  async releaseLease(projectId: string, jobId: string, runId: string): Promise<void> {
    await this.store.apply(this.ownedAction(projectId, jobId, runId, { set: { leaseUntil: 0 } }, false));
  }

  /**
   * A heartbeat of the run that owns the job: its lease goes on to `until`. Not progress: the
   * deadline stays. False when the run no longer owns the job.
   */
  async renewLease(projectId: string, jobId: string, runId: string, until: number): Promise<boolean> {
    return (
      await this.store.apply(this.ownedAction(projectId, jobId, runId, { set: { leaseUntil: until } }, false))
    ).ok;
  }

  /** The name of the job's graph, learned by the run that owns it (a backup is accepted without). */
  nameGraph(job: JobIds, runId: string, graphName: string): Action {
    return {
      ...this.ownedAction(job.projectId, job.jobId, runId, { set: { graphName } }, false),
      name: "name the job's graph",
    };
  }

  /** The deadline of a job that moved at `now`, with its key in the index of unended jobs. */
  private movedOn(projectId: string, jobId: string, now: number) {
    const deadlineAt = now + this.stallMs;
    return { deadlineAt, ...activeJobKeys(projectId, deadlineAt, jobId) };
  }

  private expiry(at: number) {
    return Math.floor(at / 1000) + this.retentionDays * 86_400;
  }

  private async owned(projectId: string, jobId: string, runId: string, change: Update) {
    return (await this.store.apply(this.ownedAction(projectId, jobId, runId, change))).ok;
  }

  /** A write of the run that owns the job; unless told otherwise, a write of progress. */
  private ownedAction(projectId: string, jobId: string, runId: string, change: Update, progress = true) {
    return {
      name: 'write as the owning run',
      table: 'control' as const,
      update: jobKey(projectId, jobId),
      change: progress
        ? { ...change, set: { ...change.set, ...this.movedOn(projectId, jobId, this.clock.now()) } }
        : change,
      if: ownedBy(runId),
    };
  }
}

function toJob(item: Item): JobRecord {
  return withoutKeys(item) as JobRecord;
}

function withoutEntryKeys(item: Item): Item {
  const { expiresAt: _expiresAt, ...entry } = withoutKeys(item);
  return entry;
}
