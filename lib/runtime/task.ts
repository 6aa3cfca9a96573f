import type { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import type { GesCode } from '../core/errors.js';
import type { Action } from '../core/store.js';
import type { JobEnd } from '../records/jobs/job-repo.js';
import type { JobBase, JobDetail, JobKind, JobRecord } from '../records/jobs/model.js';
import type { Deps } from './deps.js';

export type RunContext = {
  runId: string;
  log: Logger;
  /**
   * Records progress; throws LeaseLost when the run no longer owns the job. With `seen`, the size of
   * the view it was computed from: a report from an older view than one already recorded is dropped.
   */
  report(progress: number, detail: JobDetail, seen?: number): Promise<void>;
  /** The API request that queued the job, to pass on with any message the task sends. */
  requestId?: string | undefined;
};

/**
 * What a task's work came to: the job ended (its last write succeeded), the work goes on in messages
 * the task sent (fan-out, or a checkpoint), or the run lost the job to a later run.
 */
export type TaskResult = 'ended' | 'handed-off' | 'lost';

/** An event announcing how a job ended. */
export type JobEvent = { detailType: string; detail: Record<string, unknown> };

type Failed = JobEnd & { status: 'failed' };

/** What one kind of job does in the worker, on its own typed variant `J`. */
export type TaskSpec<J extends JobBase> = {
  kind: J['kind'];
  /** The fields only this kind carries: parsed from the record once per delivery. */
  fields: z.ZodType<Omit<J, keyof JobBase>>;
  /** The work of the delivery that takes the job. Every write is conditional on `context.runId`. */
  run(deps: Deps, job: J, context: RunContext): Promise<TaskResult>;
  /** A `step` message the task sent itself, under the run that sent it, parsed by the task. */
  continue?(deps: Deps, job: J, step: unknown, context: RunContext): Promise<TaskResult>;
  /** The actions that end the job failed and release what it holds, in one transaction. */
  failActions(
    deps: Pick<Deps, 'jobs' | 'graphs' | 'backups' | 'projects' | 'data'>,
    job: J,
    end: Failed,
    at: number,
    runId?: string,
  ): Action[];
  /** Removes what a failed run left behind (partial files, a half-loaded generation). Best effort. */
  cleanUp?(deps: Deps, job: J): Promise<void>;
  /** The code and the words of a failure this task cannot explain better. */
  failure: { code: GesCode; what: string };
  /** The event that announces the job's end, when this kind is announced. */
  announce?(deps: Deps, job: J): Promise<JobEvent | undefined>;
};

/** A task as the runtime holds it: on any job record, narrowed to its variant inside. */
export type JobTask = {
  kind: JobKind;
  failure: { code: GesCode; what: string };
  hasSteps: boolean;
  run(deps: Deps, job: JobRecord, context: RunContext): Promise<TaskResult>;
  continue(deps: Deps, job: JobRecord, step: unknown, context: RunContext): Promise<TaskResult>;
  failActions(
    deps: Pick<Deps, 'jobs' | 'graphs' | 'backups' | 'projects' | 'data'>,
    job: JobRecord,
    end: Failed,
    at: number,
    runId?: string,
  ): Action[];
  cleanUp(deps: Deps, job: JobRecord): Promise<void>;
  announce(deps: Deps, job: JobRecord): Promise<JobEvent | undefined>;
  /** Follow-up work once a job of this kind has succeeded (retention after a backup), set by the registry. */
  afterSuccess?(deps: Deps, job: JobRecord, log: Logger): Promise<void>;
};

/**
 * A kind's task, over its own variant: the record is checked against the kind's fields once, here,
 * and every method after that sees `J` (the one place that says a record is of a kind).
 */
export function jobTask<J extends JobBase>(spec: TaskSpec<J>): JobTask & { narrowed(job: JobRecord): J } {
  const narrow = (job: JobRecord): J => {
    if (job.kind !== spec.kind) throw new Error(`a ${job.kind} job given to the ${spec.kind} task`);
    return { ...job, ...spec.fields.parse(job) } as unknown as J;
  };
  return {
    kind: spec.kind,
    failure: spec.failure,
    hasSteps: Boolean(spec.continue),
    run: (deps, job, context) => spec.run(deps, narrow(job), context),
    continue: (deps, job, step, context) => {
      if (!spec.continue) throw new Error(`${spec.kind} jobs take no steps`);
      return spec.continue(deps, narrow(job), step, context);
    },
    failActions: (deps, job, end, at, runId) => spec.failActions(deps, narrow(job), end, at, runId),
    cleanUp: async (deps, job) => spec.cleanUp?.(deps, narrow(job)),
    announce: async (deps, job) => spec.announce?.(deps, narrow(job)),
    narrowed: narrow,
  };
}

/** Every kind the worker runs, by kind. */
export type JobTasks = Partial<Record<JobKind, JobTask>>;
