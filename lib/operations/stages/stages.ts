import { z } from 'zod';
import { LeaseLost } from '../../core/errors.js';
import type { JobBase, JobDetail } from '../../records/jobs/model.js';
import type { Deps } from '../../runtime/deps.js';
import type { RunContext, TaskResult } from '../../runtime/task.js';

/**
 * Jobs that run in stages (a restore: clear, load, drop; a graph deletion: drop), each stage
 * fanned out like a backup: its units (parts, shards) in groups, one task a group, one SQS message a
 * task. A task works on its units a slice at a time (a part, a page) and, when its budget
 * (`TASK_BUDGET_SECONDS`) is up, checkpoints and goes on in a new message; each unit done is recorded
 * in the job's ledger (a `PART` entry `{stage}.{unit}`, with what it found) and each task done too (a
 * `TASK` entry `{stage}.{task}`), and the job keeps their running sums (`tally`: `{stage}.parts`,
 * `{stage}.tasks`, and every number a unit's result holds, as `{stage}.{name}`). The task that finds
 * every task of its stage done moves the job to the next stage in one conditional write
 * (`JobRepo.moveStage`), so of two finishers one moves it, and starts that stage's tasks. Every write
 * is fenced by the run (`runId`): after a takeover the new run starts its stage again, in a ledger of
 * its own.
 */
export const stageStepSchema = z.object({
  runId: z.string(),
  stage: z.string(),
  task: z.number().int().min(0),
  units: z.array(z.number().int().min(0)).min(1),
  from: z
    .object({ unit: z.number().int().min(0), state: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});
export type StageStep = z.infer<typeof stageStepSchema>;

/** What a job that runs in stages keeps on its record (its ledger and sums are every job's). */
export const stagedFields = z.object({
  stage: z.string().optional(),
  tasks: z.number().int().optional(),
});
export type StagedJob = JobBase & z.infer<typeof stagedFields>;

type State = Record<string, unknown>;
/** One slice of work on a unit: the unit is done (and this is recorded of it), or it goes on from `state`. */
export type Slice = { done: true; result: State } | { done: false; state: State };

/** A stage of one job: how many units it has (0 to n-1) and the work on a unit, a slice at a time. */
export type Stage = { name: string; units: number; work(unit: number, state?: State): Promise<Slice> };

/** What a kind says of its stages; built per delivery, on the deps and job of that delivery. */
export type StagedKind<J extends StagedJob> = {
  stage(job: J, name: string): Promise<Stage>;
  /** The stage after `name`, if any. */
  next(name: string): string | undefined;
  /** Every task of the stage is done: move on (and start the next stage's tasks), or end the job. */
  stageDone(job: J, name: string): Promise<TaskResult>;
  /** Progress from the job as it now is (called after each unit recorded). */
  report(job: J): Promise<void>;
  /** The job as a record returned by the repository reads. */
  narrowed(record: Record<string, unknown>): J;
};

/** Units 0..n-1 in groups of `size`: one task a group. */
export function groupsOf(units: number, size: number): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < units; i += size) {
    groups.push(Array.from({ length: Math.min(size, units - i) }, (_, k) => i + k));
  }
  return groups;
}

const tasksOf = (deps: Deps, stage: Stage, runId: string): StageStep[] =>
  groupsOf(stage.units, deps.config.shardsPerTask).map((units, task) => ({
    runId,
    stage: stage.name,
    task,
    units,
  }));

/**
 * Starts a stage the job was just moved to: every task but the first goes out as a message, this
 * delivery runs the first itself (a stage without units is done at once).
 */
export async function startStage<J extends StagedJob>(
  deps: Deps,
  kind: StagedKind<J>,
  job: J,
  name: string,
  context: RunContext,
): Promise<TaskResult> {
  const moved = { ...job, stage: name };
  const [first, ...others] = tasksOf(deps, await kind.stage(moved, name), context.runId);
  if (!first) return settle(deps, kind, moved, name, context);
  await send(deps, job, others, context);
  return runStageTask(deps, kind, moved, first, context);
}

/** One task of a stage: its units, slice by slice, each recorded when done; then the stage is settled. */
export async function runStageTask<J extends StagedJob>(
  deps: Deps,
  kind: StagedKind<J>,
  job: J,
  step: StageStep,
  context: RunContext,
): Promise<TaskResult> {
  // A task of a stage the job has left (a duplicate, or a redelivery after the move) does no work:
  // work such as a load must never reach a generation the graph has switched to.
  if (job.stage !== step.stage) return settle(deps, kind, job, step.stage, context);
  const stage = await kind.stage(job, step.stage);
  const started = deps.clock.now();
  const timeIsUp = () => deps.clock.now() - started >= deps.config.taskBudgetMs;
  let slices = 0;
  const resumeAt = step.from ? Math.max(0, step.units.indexOf(step.from.unit)) : 0;
  for (const [i, unit] of step.units.entries()) {
    if (i < resumeAt) continue;
    let state = i === resumeAt ? step.from?.state : undefined;
    for (;;) {
      if (slices > 0 && timeIsUp()) {
        // Checkpoint: the rest of this task goes on in a new message.
        await send(deps, job, [{ ...step, from: { unit, ...(state && { state }) } }], context);
        return 'handed-off';
      }
      const slice = await stage.work(unit, state);
      slices++;
      if (!slice.done) {
        state = slice.state;
        continue;
      }
      const recorded = await deps.jobs.record(job, context.runId, 'PART', {
        name: `${step.stage}.${unit}`,
        values: slice.result,
        adds: unitSums(step.stage, slice.result),
      });
      if (!recorded) return 'lost';
      await kind.report(kind.narrowed(recorded.job));
      break;
    }
  }
  const record = await deps.jobs.record(job, context.runId, 'TASK', {
    name: `${step.stage}.${step.task}`,
    adds: { [`${step.stage}.tasks`]: 1 },
  });
  if (!record) return 'lost';
  return settle(deps, kind, kind.narrowed(record.job), step.stage, context, record.fresh);
}

/**
 * After a task of stage `name`: the task that finds all of the stage's tasks done moves the job on.
 * One that finds the job already in the next stage sends that stage's tasks again, since its finisher
 * may have died between the move and the messages (a duplicate task does its units again, which is
 * idempotent: puts, deletes and recorded entries of fixed names). How many tasks are done:
 * `JobRepo.tasksDone` (a task recorded before, `fresh` false, may need the ledger's entries counted).
 */
async function settle<J extends StagedJob>(
  deps: Deps,
  kind: StagedKind<J>,
  job: J,
  name: string,
  context: RunContext,
  fresh = true,
): Promise<TaskResult> {
  const stage = await kind.stage(job, name);
  const total = groupsOf(stage.units, deps.config.shardsPerTask).length;
  const done = await deps.jobs.tasksDone(job, { sum: `${name}.tasks`, prefix: `${name}.`, fresh, total });
  if (done < total) return 'handed-off';
  if (job.stage === name) return kind.stageDone(job, name);
  const next = kind.next(name);
  if (next !== undefined && job.stage === next) {
    await send(deps, job, tasksOf(deps, await kind.stage(job, next), context.runId), context);
  }
  return 'handed-off';
}

/**
 * What a unit done adds to the job's sums: one part in all and one of its stage, and every number its
 * result holds (a load's vertices and edges, a drop's items), under its stage's name.
 */
function unitSums(stage: string, result: State): Record<string, number> {
  const sums: Record<string, number> = { parts: 1, [`${stage}.parts`]: 1 };
  for (const [name, value] of Object.entries(result)) {
    if (typeof value === 'number' && Number.isFinite(value)) sums[`${stage}.${name}`] = value;
  }
  return sums;
}

async function send(deps: Deps, job: JobBase, steps: StageStep[], context: RunContext) {
  await deps.queue.sendAll(
    steps.map((step) => ({ projectId: job.projectId, jobId: job.jobId, step })),
    context.requestId,
  );
}

/**
 * Moves the job from stage `from` to `to` (with `alsoDo` in the same transaction) and starts `to`.
 * A move refused because another finisher made it hands off; one refused because the run lost the
 * job is lost.
 */
export async function moveOn<J extends StagedJob>(
  deps: Deps,
  kind: StagedKind<J>,
  job: J,
  move: { from: string | undefined; to: string; fields?: Record<string, unknown> },
  context: RunContext,
  alsoDo: Parameters<Deps['store']['transact']>[0] = [],
): Promise<TaskResult> {
  const outcome = await deps.store.transact([
    deps.jobs.moveStage(job, context.runId, move.from, move.to, move.fields),
    ...alsoDo,
  ]);
  if (!outcome.ok) {
    const now = await deps.jobs.get(job.projectId, job.jobId);
    return now?.status === 'running' && now.runId === context.runId ? 'handed-off' : 'lost';
  }
  return startStage(deps, kind, { ...job, ...move.fields }, move.to, context);
}

/**
 * Records progress from a view of the job that holds `seen` entries. A report from an older or equal
 * view than one recorded is dropped (concurrent tasks report out of order, and a redelivered unit
 * records an entry it had); only a run that no longer owns the job stops here.
 */
export async function reportProgress(
  deps: Pick<Deps, 'jobs'>,
  job: JobBase,
  runId: string,
  report: { progress: number; detail: JobDetail; seen: number },
): Promise<void> {
  const { progress, detail, seen } = report;
  if ((await deps.jobs.progress(job.projectId, job.jobId, runId, progress, detail, seen)) !== 'lost') return;
  // Refused: whether for an older view or for a lost run, the record as it is now says.
  const now = await deps.jobs.get(job.projectId, job.jobId);
  if (now?.status !== 'running' || now.runId !== runId) throw new LeaseLost();
}

/**
 * A slice of a drop: a few pages of one shard of a generation deleted (`DROP_PAGES`, each page's
 * deletes overlapping the next page's query), the shard done when none is left.
 */
export async function dropSlice(
  deps: Pick<Deps, 'data' | 'config'>,
  at: { graphId: string; generation: number; shard: number },
  state?: State,
): Promise<Slice> {
  const before = Number(state?.dropped ?? 0);
  const page = await deps.data.dropPage(
    at.graphId,
    at.generation,
    at.shard,
    deps.config.queryPageSize,
    deps.config.dropPages,
  );
  const dropped = before + page.dropped;
  return page.more ? { done: false, state: { dropped } } : { done: true, result: { dropped } };
}
