import type { Api, Backup, Graph, Job, Policy } from './api.js';
import { type Freshness, formatAge, freshness } from './freshness.js';
import { JobList } from './jobs.js';
import { parseUtc } from './progress.js';
import { ago, GraphStatusBadge, html, isActive, JOB_NAME, number } from './ui.js';

export type Overview = {
  graphs: Graph[];
  backups: Backup[];
  jobs: Job[];
  policies: Record<string, Policy | undefined>;
  loadedAt: number;
};

export async function loadOverview(api: Api): Promise<Overview> {
  const [graphs, backups, jobs] = await Promise.all([api.listGraphs(), api.listBackups(), api.listJobs()]);
  const policies = await Promise.all(graphs.map((g) => api.policy(g.id)));
  return {
    graphs,
    backups,
    jobs,
    policies: Object.fromEntries(graphs.map((g, i) => [g.id, policies[i]])),
    loadedAt: Date.now(),
  };
}

export const backupTime = (b: Backup) => b.endTimestamp ?? b.startTimestamp;

/** The newest successful backup of each graph, of those listed (newest first). */
export function newestGood(backups: Backup[], graphId: string): Backup | undefined {
  return backups
    .filter((b) => b.graphId === graphId && b.status === 'success')
    .sort((a, b) => backupTime(b) - backupTime(a))[0];
}

const DAY = 86_400_000;
export const recentFailures = (jobs: Job[], now: number) =>
  jobs.filter((j) => j.status === 'failed' && (parseUtc(j.endTime ?? j.beginTime) ?? now) > now - DAY);

export type GraphRow = { graph: Graph; newest?: Backup; fresh: Freshness; failed: Job[]; rank: number };

export function graphRows(data: Overview, now: number): GraphRow[] {
  const failures = recentFailures(data.jobs, now);
  return data.graphs
    .map((graph) => {
      const newest = newestGood(data.backups, graph.id);
      const fresh = freshness(newest && backupTime(newest), data.policies[graph.id], now);
      const failed = failures.filter((j) => j.relatedGraph === graph.name);
      const rank = graph.status === '300' ? 0 : failed.length ? 1 : fresh.stale ? 2 : 3;
      return { graph, ...(newest && { newest }), fresh, failed, rank };
    })
    .sort((a, b) => a.rank - b.rank || a.graph.name.localeCompare(b.graph.name));
}

function FreshnessCell({ row, now }: { row: GraphRow; now: number }) {
  const { newest, fresh } = row;
  const allowed = `allowed ${formatAge(fresh.allowedMs)} (${fresh.basis})`;
  if (!newest) {
    return html`<span class="stale-text"><span class="badge badge-warn">No backup</span></span>
      <span class="sub">${allowed}</span>`;
  }
  return html`<span class=${fresh.stale ? 'stale-text' : ''}>
      ${fresh.stale && html`<span class="badge badge-warn">Stale</span> `}${ago(backupTime(newest), now)}
    </span>
    <span class="sub" title=${newest.name}>${newest.name}</span>
    <span class="sub">${allowed}</span>`;
}

export function OverviewPage({
  data,
  now,
  error,
}: {
  data: Overview | undefined;
  now: number;
  error: unknown;
}) {
  if (!data)
    return html`<p class="loading" role="status">${error ? 'Could not load the project.' : 'Loading…'}</p>`;
  const rows = graphRows(data, now);
  const failures = recentFailures(data.jobs, now);
  const stale = rows.filter((r) => r.fresh.stale);
  const running = data.jobs.filter((j) => isActive(j.status));
  // A policy whose last run was skipped (the graph was busy or stopped) backed nothing up.
  const skipped = data.graphs.flatMap((graph) => {
    const run = data.policies[graph.id]?.lastRun;
    return run?.result === 'skipped' ? [{ graph, run }] : [];
  });
  const recent = data.jobs.filter((j) => !isActive(j.status)).slice(0, 6);
  return html`
    <section class="stats" aria-label="Summary">
      <a class=${`stat ${failures.length ? 'stat-bad' : ''}`} href="#/jobs">
        <span class="stat-value">${failures.length}</span><span class="stat-label">Failed jobs, 24 h</span>
      </a>
      <a class=${`stat ${stale.length ? 'stat-warn' : ''}`} href="#graphs">
        <span class="stat-value">${stale.length}</span><span class="stat-label">Stale or missing backups</span>
      </a>
      <a class="stat" href="#/jobs">
        <span class="stat-value">${running.length}</span><span class="stat-label">Jobs running</span>
      </a>
      <a class="stat" href="#graphs">
        <span class="stat-value">${data.graphs.length}</span><span class="stat-label">Graphs</span>
      </a>
    </section>

    ${
      failures.length + stale.length + skipped.length > 0 &&
      html`<section class="panel panel-attention" aria-labelledby="attention-title">
        <h2 id="attention-title">Needs attention</h2>
        <ul class="attention">
          ${failures.map(
            (j) => html`<li key=${j.jobId}>
              <span class="badge badge-bad">Failed</span>
              <span><strong>${JOB_NAME[j.jobName] ?? j.jobName}</strong>${` of ${j.relatedGraph ?? '?'}, ${ago(j.endTime ?? j.beginTime, now)}: `}<code>${j.errorCode ?? 'failed'}</code>${` ${j.failReason ?? ''}`}</span>
            </li>`,
          )}
          ${skipped.map(
            ({ graph, run }) => html`<li key=${`skip-${graph.id}`}>
              <span class="badge badge-warn">Skipped</span>
              <span><a href=${`#/graphs/${encodeURIComponent(graph.id)}`}>${graph.name}</a>${`: the backup policy's run ${ago(run.time, now)} was skipped${run.reason ? ` (${run.reason})` : ''}`}</span>
            </li>`,
          )}
          ${stale.map(
            (r) => html`<li key=${r.graph.id}>
              <span class="badge badge-warn">${r.newest ? 'Stale' : 'No backup'}</span>
              <span><a href=${`#/graphs/${encodeURIComponent(r.graph.id)}`}>${r.graph.name}</a>${`: ${
                r.newest
                  ? `newest good backup ${ago(backupTime(r.newest), now)}`
                  : 'never backed up successfully'
              }, allowed ${formatAge(r.fresh.allowedMs)}`}</span>
            </li>`,
          )}
        </ul>
      </section>`
    }

    <section class="panel" aria-labelledby="graphs-title" id="graphs" tabindex="-1">
      <h2 id="graphs-title">Graphs</h2>
      ${
        rows.length
          ? html`<table class="table">
              <thead>
                <tr>
                  <th scope="col">Graph</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">Vertices</th>
                  <th scope="col" class="num">Edges</th>
                  <th scope="col">Newest good backup</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (
                    row,
                  ) => html`<tr key=${row.graph.id} class=${row.fresh.stale || row.failed.length ? 'row-warn' : ''}>
                    <th scope="row" data-label="Graph">
                      <a href=${`#/graphs/${encodeURIComponent(row.graph.id)}`}>${row.graph.name}</a>
                      ${row.failed.length > 0 && html` <span class="badge badge-bad">${row.failed.length} failed</span>`}
                    </th>
                    <td data-label="Status"><${GraphStatusBadge} status=${row.graph.status} /></td>
                    <td data-label="Vertices" class="num">${number(row.graph.vertexNum)}</td>
                    <td data-label="Edges" class="num">${number(row.graph.edgeNum)}</td>
                    <td data-label="Newest good backup" class="freshness"><${FreshnessCell} row=${row} now=${now} /></td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="empty">This project has no graphs.</p>`
      }
    </section>

    <section class="panel" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs <a class="more" href="#/jobs">All jobs</a></h2>
      <${JobList} jobs=${[...running, ...recent]} now=${now} empty="No jobs yet." />
    </section>
  `;
}

export function JobsPage({ data, now }: { data: Overview | undefined; now: number }) {
  if (!data) return html`<p class="loading" role="status">Loading…</p>`;
  const running = data.jobs.filter((j) => isActive(j.status));
  const failed = data.jobs.filter((j) => j.status === 'failed');
  const done = data.jobs.filter((j) => j.status === 'success');
  return html`
    <section class="panel" aria-labelledby="failed-title">
      <h2 id="failed-title">Failed</h2>
      <${JobList} jobs=${failed} now=${now} empty="No job failed." />
    </section>
    <section class="panel" aria-labelledby="running-title">
      <h2 id="running-title">Running</h2>
      <${JobList} jobs=${running} now=${now} empty="Nothing is running." />
    </section>
    <section class="panel" aria-labelledby="done-title">
      <h2 id="done-title">Succeeded</h2>
      <${JobList} jobs=${done} now=${now} empty="No job has finished yet." />
    </section>
  `;
}
