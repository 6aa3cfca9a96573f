import { useEffect, useRef, useState } from 'preact/hooks';
import {
  type Api,
  ApiError,
  type Backup,
  type BackupFile,
  fieldErrors,
  type Graph,
  type Job,
  type Policy,
} from './api.js';
import { formatAge, freshness } from './freshness.js';
import { JobList } from './jobs.js';
import { backupTime, newestGood, type Overview } from './overview.js';
import {
  ago,
  ConfirmDialog,
  ErrorBox,
  GraphStatusBadge,
  html,
  isActive,
  number,
  usePoll,
  utc,
} from './ui.js';

type GraphData = { graph: Graph; backups: Backup[]; policy: Policy | undefined };

const BUSY = new Set(['901', '903', '920']);
const METHOD: Record<string, string> = { manual: 'Manual', auto: 'Automatic', import: 'Imported' };
const BACKUP_STATUS: Record<string, string> = {
  success: 'Succeeded',
  failed: 'Failed',
  backing_up: 'Running',
};

/** Polls a job until it ends; a failed job is an error with its code. */
async function waitForJob(api: Api, graphId: string, jobId: string, timeoutMs = 120_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await api.job(graphId, jobId);
    if (job.status === 'success') return job;
    if (job.status === 'failed') {
      throw new ApiError(400, job.errorCode, job.failReason ?? job.errorMessage ?? 'The job failed.');
    }
    if (Date.now() > deadline) throw new Error(`Job ${jobId} has not ended after ${timeoutMs / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

type Dialog =
  | { kind: 'restore'; backup: Backup; step?: string; error?: unknown }
  | { kind: 'delete'; backup: Backup; step?: string; error?: unknown };

export function GraphPage(props: {
  api: Api;
  graphId: string;
  overview: Overview | undefined;
  reloadOverview: () => void;
  onError: (error: unknown) => void;
  announce: (text: string) => void;
  now: number;
}) {
  const { api, graphId, overview, now } = props;
  const jobsOf = (graph: Graph | undefined) =>
    graph ? (overview?.jobs ?? []).filter((j) => j.relatedGraph === graph.name) : [];
  const poll = usePoll<GraphData>(
    async () => {
      const [graph, backups, policy] = await Promise.all([
        api.getGraph(graphId),
        api.listBackups(graphId),
        api.policy(graphId),
      ]);
      return { graph, backups, policy };
    },
    `${api.projectId}/${graphId}`,
    (data) =>
      data && (BUSY.has(data.graph.status) || jobsOf(data.graph).some((j) => isActive(j.status)))
        ? 1000
        : 5000,
    props.onError,
  );
  // A job of this graph ended (or began): its status, backups and counts changed with it.
  const active = jobsOf(poll.data?.graph)
    .filter((j) => isActive(j.status))
    .map((j) => j.jobId)
    .join();
  const seen = useRef(active);
  useEffect(() => {
    if (seen.current !== active) poll.reload();
    seen.current = active;
  }, [active]);
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [actionError, setActionError] = useState<unknown>();
  const [starting, setStarting] = useState(false);
  const [files, setFiles] = useState<Record<string, BackupFile[] | 'loading' | ApiError>>({});

  const reload = () => {
    poll.reload();
    props.reloadOverview();
  };
  const refusedOr = (error: unknown, show: (error: unknown) => void) => {
    if (error instanceof ApiError && error.refused) props.onError(error);
    else show(error);
  };

  if (!poll.data) {
    return html`${poll.error ? html`<${ErrorBox} error=${poll.error} title="Could not load the graph." />` : html`<p class="loading" role="status">Loading…</p>`}`;
  }
  const { graph, backups, policy } = poll.data;
  const jobs = jobsOf(graph);
  const newest = newestGood(backups, graph.id);
  const fresh = freshness(newest && backupTime(newest), policy, now);

  const backUpNow = async () => {
    setActionError(undefined);
    setStarting(true);
    try {
      const { jobId } = await api.backUp(graph.id);
      props.announce(`Backup of ${graph.name} started (job ${jobId}).`);
      reload();
    } catch (error) {
      refusedOr(error, setActionError);
    } finally {
      setStarting(false);
    }
  };

  const startGraph = async () => {
    setActionError(undefined);
    try {
      await api.start(graph.id);
      props.announce(`${graph.name} started.`);
      reload();
    } catch (error) {
      refusedOr(error, setActionError);
    }
  };

  const restore = async (backup: Backup) => {
    const step = (text: string) => setDialog({ kind: 'restore', backup, step: text });
    try {
      if (graph.status !== '900') {
        step(`Stopping ${graph.name}…`);
        const { jobId } = await api.stop(graph.id);
        await waitForJob(api, graph.id, jobId);
      }
      step(`Starting ${graph.name} from ${backup.name}…`);
      const { jobId } = await api.start(graph.id, backup.id);
      setDialog(undefined);
      props.announce(`Restore of ${graph.name} from ${backup.name} started (job ${jobId}).`);
      reload();
    } catch (error) {
      refusedOr(error, (e) => setDialog({ kind: 'restore', backup, error: e }));
      reload();
    }
  };

  const remove = async (backup: Backup) => {
    setDialog({ kind: 'delete', backup, step: 'Deleting…' });
    try {
      await api.deleteBackup(graph.id, backup.id);
      setDialog(undefined);
      props.announce(`Backup ${backup.name} deleted.`);
      reload();
    } catch (error) {
      refusedOr(error, (e) => setDialog({ kind: 'delete', backup, error: e }));
    }
  };

  const toggleFiles = async (backup: Backup) => {
    if (files[backup.id]) {
      const { [backup.id]: _, ...rest } = files;
      setFiles(rest);
      return;
    }
    setFiles((f) => ({ ...f, [backup.id]: 'loading' }));
    try {
      const answer = await api.backupFiles(graph.id, backup.id);
      setFiles((f) => ({ ...f, [backup.id]: answer.files ?? [] }));
    } catch (error) {
      refusedOr(error, (e) => setFiles((f) => ({ ...f, [backup.id]: e as ApiError })));
    }
  };

  return html`
    <section class="panel graph-head" aria-labelledby="graph-title">
      <div class="graph-title-row">
        <div>
          <h2 id="graph-title" class="visually-hidden">Summary</h2>
          <p class="graph-facts">
            <${GraphStatusBadge} status=${graph.status} />
            <span><strong>${number(graph.vertexNum)}</strong> vertices</span>
            <span><strong>${number(graph.edgeNum)}</strong> edges</span>
            <span class="sub">id <code>${graph.id}</code></span>
          </p>
        </div>
        <div class="actions">
          ${
            graph.status === '900' &&
            html`<button type="button" class="button" onClick=${startGraph}>Start graph</button>`
          }
          <button type="button" class="button button-primary" onClick=${backUpNow} disabled=${starting}>
            ${starting ? 'Starting backup…' : 'Back up now'}
          </button>
        </div>
      </div>
      <p class=${`freshness-line ${fresh.stale ? 'stale-text' : ''}`}>
        ${fresh.stale && html`<span class="badge badge-warn">${newest ? 'Stale' : 'No backup'}</span> `}
        ${
          newest
            ? html`Newest good backup <strong>${newest.name}</strong>${`, ${ago(backupTime(newest), now)}`}`
            : 'No successful backup yet'
        }${` · allowed ${formatAge(fresh.allowedMs)} (${fresh.basis})`}
      </p>
      <${ErrorBox} error=${actionError} />
    </section>

    <section class="panel" aria-labelledby="graph-jobs-title">
      <h2 id="graph-jobs-title">Jobs</h2>
      <${JobList} jobs=${jobs.slice(0, 8)} now=${now} empty="No jobs for this graph yet." />
    </section>

    <section class="panel" aria-labelledby="backups-title">
      <h2 id="backups-title">Backups</h2>
      ${
        backups.length
          ? html`<table class="table backups">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Method</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">Size</th>
                  <th scope="col" class="num">Duration</th>
                  <th scope="col">Taken</th>
                  <th scope="col"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${backups.map((b) => {
                  const list = files[b.id];
                  return html`<tr key=${b.id} data-backup-id=${b.id}>
                      <th scope="row" data-label="Name" class="backup-name">${b.name}</th>
                      <td data-label="Method">${METHOD[b.backupMethod] ?? b.backupMethod}</td>
                      <td data-label="Status">
                        <span class=${`badge badge-${b.status === 'success' ? 'ok' : b.status === 'failed' ? 'bad' : 'busy'}`}
                          >${BACKUP_STATUS[b.status] ?? b.status}</span
                        >
                      </td>
                      <td data-label="Size" class="num">${b.size === undefined || b.status !== 'success' ? '—' : `${number(b.size)} MB`}</td>
                      <td data-label="Duration" class="num">${b.duration === undefined ? '—' : formatAge(b.duration * 1000)}</td>
                      <td data-label="Taken"><span title=${utc(b.startTimestamp)}>${ago(b.startTimestamp, now)}</span></td>
                      <td data-label="Actions" class="row-actions">
                        <button
                          type="button"
                          class="button button-small"
                          disabled=${b.status !== 'success'}
                          aria-label=${`Restore ${graph.name} from ${b.name}`}
                          onClick=${() => setDialog({ kind: 'restore', backup: b })}
                        >Restore</button>
                        <button
                          type="button"
                          class="button button-small"
                          disabled=${b.status !== 'success'}
                          aria-expanded=${list ? 'true' : 'false'}
                          aria-controls=${`files-${b.id}`}
                          aria-label=${`Download files of ${b.name}`}
                          onClick=${() => toggleFiles(b)}
                        >Files</button>
                        <button
                          type="button"
                          class="button button-small button-danger-quiet"
                          aria-label=${`Delete ${b.name}`}
                          onClick=${() => setDialog({ kind: 'delete', backup: b })}
                        >Delete</button>
                      </td>
                    </tr>
                    ${
                      list &&
                      html`<tr class="files-row" id=${`files-${b.id}`}>
                        <td colspan="7">
                          ${
                            list === 'loading'
                              ? html`<span role="status">Getting download links…</span>`
                              : list instanceof ApiError
                                ? html`<${ErrorBox} error=${list} />`
                                : html`<ul class="files">
                                    ${list.map(
                                      (f) => html`<li key=${f.name}>
                                        <a href=${f.download_link} download=${f.name} rel="noopener noreferrer">${f.name}</a>
                                        <span class="sub">${number(f.size)} KB${f.link_expired_time ? `, link valid until ${utc(f.link_expired_time)}` : ''}</span>
                                      </li>`,
                                    )}
                                  </ul>`
                          }
                        </td>
                      </tr>`
                    }`;
                })}
              </tbody>
            </table>`
          : html`<p class="empty">No backups of this graph yet.</p>`
      }
    </section>

    <${PolicyForm} api=${api} graph=${graph} policy=${policy} onSaved=${reload} onError=${props.onError} />

    ${
      dialog?.kind === 'restore' &&
      html`<${ConfirmDialog}
        title=${`Restore ${graph.name} from ${dialog.backup.name}?`}
        confirmLabel="Stop graph and restore"
        danger=${true}
        busy=${dialog.step !== undefined}
        error=${dialog.error}
        onCancel=${() => setDialog(undefined)}
        onConfirm=${() => restore(dialog.backup)}
      >
        <p>
          This <strong>stops the graph ${graph.name}</strong>${graph.status === '900' ? ' (it is stopped already)' : ''}, then starts it
          from the backup <strong>${dialog.backup.name}</strong>, taken ${utc(dialog.backup.startTimestamp)}.
        </p>
        <p>Its current data is replaced by the backup's. While it runs the graph takes no writes. If the restore fails the graph keeps its current data and stays stopped.</p>
        ${dialog.step && html`<p class="step" role="status">${dialog.step}</p>`}
      <//>`
    }
    ${
      dialog?.kind === 'delete' &&
      html`<${ConfirmDialog}
        title=${`Delete backup ${dialog.backup.name}?`}
        confirmLabel="Delete backup"
        danger=${true}
        busy=${dialog.step !== undefined}
        error=${dialog.error}
        onCancel=${() => setDialog(undefined)}
        onConfirm=${() => remove(dialog.backup)}
      >
        <p>The backup <strong>${dialog.backup.name}</strong> of ${graph.name} and its files are deleted for good.</p>
        ${dialog.step && html`<p class="step" role="status">${dialog.step}</p>`}
      <//>`
    }
  `;
}

const FIELDS = ['enabled', 'schedule', 'keepAuto'] as const;

function PolicyForm(props: {
  api: Api;
  graph: Graph;
  policy: Policy | undefined;
  onSaved: () => void;
  onError: (error: unknown) => void;
}) {
  const { policy, graph } = props;
  const initial = () => ({
    enabled: policy?.enabled ?? true,
    schedule: policy?.schedule ?? 'rate(1 day)',
    keepAuto: String(policy?.keepAuto ?? 7),
  });
  const [form, setForm] = useState(initial);
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  const policyKey = JSON.stringify(policy ?? null);
  useEffect(() => {
    if (!dirty) setForm(initial());
  }, [policyKey]);

  const set = (field: keyof ReturnType<typeof initial>, value: string | boolean) => {
    setDirty(true);
    setSaved(undefined);
    setForm((f) => ({ ...f, [field]: value }));
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setErrors({});
    setSaved(undefined);
    const keepAuto = form.keepAuto.trim() === '' ? null : Number(form.keepAuto);
    try {
      const answer = await props.api.putPolicy(graph.id, {
        enabled: form.enabled,
        schedule: form.schedule.trim(),
        keepAuto: keepAuto as number,
      });
      setDirty(false);
      setSaved(answer.nextRunTime ? `Saved. Next run ${utc(answer.nextRunTime)}.` : 'Saved.');
      props.onSaved();
    } catch (error) {
      if (error instanceof ApiError && error.refused) props.onError(error);
      else if (error instanceof ApiError) {
        const byField = fieldErrors(error.message, FIELDS);
        if (error.code) {
          for (const key of Object.keys(byField)) byField[key] = `${byField[key]} (${error.code})`;
        }
        setErrors(byField);
      } else setErrors({ '': error instanceof Error ? error.message : String(error) });
    } finally {
      setSaving(false);
    }
  };

  const described = (field: string, help?: string) =>
    [errors[field] ? `${field}-error` : '', help ?? ''].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: string) =>
    errors[field] && html`<p class="field-error" id=${`${field}-error`}>${errors[field]}</p>`;

  return html`<section class="panel" aria-labelledby="policy-title">
    <h2 id="policy-title">Backup policy</h2>
    <p class="sub">
      ${
        policy
          ? html`${policy.enabled ? 'Enabled' : 'Disabled'} · ${policy.schedule} · keeps ${policy.keepAuto} automatic
            ${policy.nextRunTime && html` · next run ${utc(policy.nextRunTime)}`}
            ${policy.lastRun && html` · last run ${utc(policy.lastRun.time)}: ${policy.lastRun.result}${policy.lastRun.reason ? ` (${policy.lastRun.reason})` : ''}`}`
          : 'This graph has no backup policy: nothing backs it up unless someone does.'
      }
    </p>
    <form class="policy-form" onSubmit=${submit} novalidate>
      <div class="field field-check">
        <input
          id="policy-enabled"
          type="checkbox"
          checked=${form.enabled}
          aria-invalid=${errors.enabled ? 'true' : undefined}
          aria-describedby=${described('enabled')}
          onChange=${(e: Event) => set('enabled', (e.target as HTMLInputElement).checked)}
        />
        <label for="policy-enabled">Enabled</label>
        ${fieldError('enabled')}
      </div>
      <div class="field">
        <label for="policy-schedule">Schedule</label>
        <input
          id="policy-schedule"
          type="text"
          spellcheck="false"
          autocomplete="off"
          value=${form.schedule}
          aria-invalid=${errors.schedule ? 'true' : undefined}
          aria-describedby=${described('schedule', 'policy-schedule-help')}
          onInput=${(e: Event) => set('schedule', (e.target as HTMLInputElement).value)}
        />
        <p class="help" id="policy-schedule-help">EventBridge: <code>rate(6 hours)</code> or <code>cron(0 3 * * ? *)</code> (UTC)</p>
        ${fieldError('schedule')}
      </div>
      <div class="field field-narrow">
        <label for="policy-keep">Automatic backups kept</label>
        <input
          id="policy-keep"
          type="number"
          inputmode="numeric"
          value=${form.keepAuto}
          aria-invalid=${errors.keepAuto ? 'true' : undefined}
          aria-describedby=${described('keepAuto', 'policy-keep-help')}
          onInput=${(e: Event) => set('keepAuto', (e.target as HTMLInputElement).value)}
        />
        <p class="help" id="policy-keep-help">1 to 100; manual backups are never deleted.</p>
        ${fieldError('keepAuto')}
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled=${saving}>${saving ? 'Saving…' : 'Save policy'}</button>
        ${saved && html`<span class="saved" role="status">${saved}</span>`}
      </div>
      ${errors[''] && html`<div class="alert alert-bad" role="alert">${errors['']}</div>`}
    </form>
  </section>`;
}
