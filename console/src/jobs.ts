import type { Job } from './api.js';
import { formatAge } from './freshness.js';
import { parseUtc, readProgress } from './progress.js';
import { Badge, html, isActive, JOB_NAME, jobTone, number, utc } from './ui.js';

const STATUS_LABEL: Record<string, string> = {
  running: 'Running',
  waiting: 'Waiting',
  pending: 'Waiting',
  success: 'Succeeded',
  failed: 'Failed',
};

function jobTitle(job: Job): string {
  return `${JOB_NAME[job.jobName] ?? job.jobName} of ${job.relatedGraph ?? 'a graph'}`;
}

/** One job: a live bar while it runs, its result once it ended, the GES code and reason if it failed. */
export function JobCard({ job, now }: { job: Job; now: number }) {
  const progress = readProgress(job, now);
  const active = isActive(job.status);
  const begin = parseUtc(job.beginTime);
  const end = parseUtc(job.endTime);
  const took = begin !== undefined && end !== undefined ? formatAge(end - begin) : undefined;
  const elements =
    progress.expected !== undefined
      ? `${number(progress.done)} of ${number(progress.expected)} elements`
      : progress.done
        ? `${number(progress.done)} elements`
        : '';
  const parts = [
    `${progress.percent} %`,
    elements,
    progress.shards?.expected ? `shards ${progress.shards.done} of ${progress.shards.expected}` : '',
    active && progress.rate ? `${number(Math.round(progress.rate))}/s` : '',
  ].filter(Boolean);
  const showBar =
    active || job.jobName === 'BackupGraph' || (job.jobName === 'StartGraph' && progress.done > 0);
  return html`<article class=${`job job-${job.status}`} data-job-id=${job.jobId} aria-label=${jobTitle(job)}>
    <header class="job-head">
      <h3 class="job-title">${jobTitle(job)}</h3>
      <${Badge} tone=${jobTone(job.status)}>${STATUS_LABEL[job.status] ?? job.status}<//>
    </header>
    ${
      showBar &&
      html`<div
        class="bar"
        role="progressbar"
        aria-label=${`${jobTitle(job)}: progress`}
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${progress.percent}
        aria-valuetext=${parts.join(', ')}
      >
        <div class=${`bar-fill bar-${job.status}`} style=${`width:${progress.percent}%`}></div>
      </div>`
    }
    <p class="job-meta" aria-live=${active ? 'polite' : 'off'}>
      ${showBar && html`<span class="job-progress">${parts.join(' · ')}</span>`}
      <span>Started ${utc(job.beginTime)}${took !== undefined ? `, took ${took}` : ''}</span>
    </p>
    ${
      job.status === 'failed' &&
      html`<p class="job-error"><code>${job.errorCode ?? 'failed'}</code> ${job.failReason ?? job.errorMessage ?? ''}</p>`
    }
  </article>`;
}

/** Failed ones first, then those running, then the rest, newest first within each. */
export function sortJobs(jobs: Job[]): Job[] {
  const rank = (job: Job) => (job.status === 'failed' ? 0 : isActive(job.status) ? 1 : 2);
  return [...jobs].sort(
    (a, b) => rank(a) - rank(b) || (parseUtc(b.beginTime) ?? 0) - (parseUtc(a.beginTime) ?? 0),
  );
}

export function JobList({ jobs, now, empty }: { jobs: Job[]; now: number; empty: string }) {
  if (!jobs.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="jobs">${sortJobs(jobs).map((job) => html`<${JobCard} key=${job.jobId} job=${job} now=${now} />`)}</div>`;
}
