import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { call, tokenFor, waitForJob } from '../e2e/client.js';

/**
 * The web console in a real browser (Debian's Chromium, driven by playwright-core) against the local
 * stack: what an on-call engineer does with it. Screenshots of each page, at 1280 and 390 px wide,
 * go to test-results/console/.
 */

const SHOTS = join(import.meta.dirname, '../../test-results/console');
const PROJECT = `console${Date.now().toString(36)}`;
const GRAPH = 'movies';
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 390, height: 844 };

function chromiumPath(): string {
  const chosen = process.env.CHROMIUM_PATH;
  const candidates = chosen ? [chosen] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const path of candidates) if (existsSync(path)) return path;
  try {
    if (chosen) throw new Error('not there');
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'Chromium not found: the browser tests need it. Install it with `apt-get install -y chromium` ' +
        '(or set CHROMIUM_PATH to a Chromium binary).',
    );
  }
}

let browser: Browser;
let page: Page;
let graphId: string;
const consoleUrl = () => `${inject('baseUrl')}/console/`;
const TIMEOUT = 20_000;

/** What the page shows, asked again until the assertion holds (the console polls the API). */
const shown = (locator: Locator, timeout = TIMEOUT) =>
  expect.poll(
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, what a person reads
    () => locator.innerText({ timeout }).catch(() => ''),
    { timeout, interval: 100 },
  );
const attribute = (locator: Locator, name: string, timeout = TIMEOUT) =>
  expect.poll(() => locator.getAttribute(name, { timeout }).catch(() => null), { timeout, interval: 100 });
const count = (locator: Locator, timeout = TIMEOUT) =>
  expect.poll(() => locator.count(), { timeout, interval: 100 });
const visible = (locator: Locator, timeout = TIMEOUT) =>
  locator.first().waitFor({ state: 'visible', timeout });
const stored = () => page.evaluate<string | null>('sessionStorage.getItem("ges-console-session")');

/** The page as it is, wide and narrow (then wide again). */
async function snapshot(name: string, { fullPage = true } = {}) {
  await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage });
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage });
  // Nothing runs off the side of a phone's screen.
  expect(await page.evaluate<number>('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(
    NARROW.width,
  );
  await page.setViewportSize(WIDE);
}

/** The graph's page, afresh (the session stays in the tab), whatever the test before left open. */
async function openGraph() {
  await page.goto('about:blank');
  await page.goto(`${consoleUrl()}#/graphs/${graphId}`);
  await visible(page.getByRole('heading', { level: 1, name: GRAPH }));
  await visible(page.getByRole('region', { name: 'Backups' }));
}

async function signIn(projectId: string, token: string) {
  await page.goto(consoleUrl());
  await page.getByLabel('Project id').fill(projectId);
  await page.getByLabel('Token (X-Auth-Token)').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// A missing Chromium fails every test with how to get it (a failing beforeAll would skip them).
let setupError: unknown;
beforeEach(() => {
  if (setupError) throw setupError;
});

beforeAll(async () => {
  try {
    await setUp();
  } catch (error) {
    setupError = error;
  }
}, 60_000);

async function setUp() {
  const executablePath = chromiumPath();
  await mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  page = await browser.newPage({ viewport: WIDE });
  page.setDefaultTimeout(20_000);

  // A demo-like graph, made through the API: users rating movies.
  const token = await tokenFor(PROJECT);
  const created = await call('POST', `/v1.0/${PROJECT}/graphs`, { token, body: { graph: { name: GRAPH } } });
  if (created.status !== 200) throw new Error(`create graph: ${JSON.stringify(created)}`);
  graphId = created.body.id;
  const users = Array.from({ length: 300 }, (_, i) => String(i + 1));
  const movies = Array.from({ length: 100 }, (_, i) => `m${i + 1}`);
  const vertices = [
    ...users.map((vertex, i) => ({ vertex, label: 'user', properties: { age: [String(18 + (i % 60))] } })),
    ...movies.map((vertex) => ({ vertex, label: 'movie', properties: { title: [`Movie ${vertex}`] } })),
  ];
  const edges = users.flatMap((source, i) =>
    [0, 1].map((k) => ({
      source,
      target: movies[(i * 2 + k) % movies.length],
      label: 'rate',
      properties: { score: [String(((i + k) % 5) + 1)] },
    })),
  );
  const data = `/ges/v1.0/${PROJECT}/graphs/${GRAPH}`;
  for (const [kind, body] of [
    ['vertices', { vertices }],
    ['edges', { edges }],
  ] as const) {
    const added = await call('POST', `${data}/${kind}/action?action_id=batch-add`, { token, body });
    if (added.status !== 200) throw new Error(`add ${kind}: ${JSON.stringify(added)}`);
  }
}

// What the page showed when a test failed, beside the screenshots.
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail' && page) {
    await page.screenshot({
      path: join(SHOTS, `failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`),
      fullPage: true,
    });
  }
});

afterAll(async () => {
  await browser?.close();
});

describe('the web console', () => {
  it('refuses a wrong token, says why, and stays on the credentials form', async () => {
    await page.goto(consoleUrl());
    await visible(page.getByRole('heading', { name: 'GES backup console' }));
    await snapshot('sign-in');
    await signIn(PROJECT, 'not-a-token');
    const alert = page.getByRole('alert');
    await shown(alert).toContain('APIGW.0301');
    await shown(alert).toContain('HTTP 401');
    await visible(page.getByLabel('Project id'));
    await snapshot('sign-in-refused');
    // Nothing of the refused credentials is kept.
    expect(await stored()).toBeNull();
  });

  it('signs in with a token and shows the graph, its counts and that it was never backed up', async () => {
    await signIn(PROJECT, await tokenFor(PROJECT));
    const row = page.getByRole('row', { name: new RegExp(GRAPH) });
    await shown(row).toContain('400');
    await shown(row).toContain('600');
    await shown(row).toContain('Running');
    await shown(row).toContain('No backup');
    await shown(page.getByRole('region', { name: 'Needs attention' })).toContain('never backed up');
    // The credentials live in this tab's sessionStorage, never in the URL.
    expect(page.url()).not.toContain('eyJ');
    expect(await stored()).toContain(PROJECT);
  });

  it('backs the graph up: the bar reaches 100 % and the backup is listed', async () => {
    await page.getByRole('link', { name: GRAPH, exact: true }).first().click();
    await visible(page.getByRole('heading', { level: 1, name: GRAPH }));
    await visible(page.getByRole('region', { name: 'Backups' }));
    // The page is never reloaded: what it shows next comes from polling.
    await page.evaluate('window.notReloaded = true');
    await page.getByRole('button', { name: 'Back up now' }).click();
    const job = page.getByRole('article', { name: `Backup of ${GRAPH}` });
    const bar = job.getByRole('progressbar');
    await visible(bar);
    await attribute(bar, 'aria-valuenow', 60_000).toBe('100');
    await shown(job).toContain('Succeeded');
    // The counts are the job center's own.
    const [ended] = (
      await call('GET', `/v1.0/${PROJECT}/graphs/jobs?limit=1`, { token: await tokenFor(PROJECT) })
    ).body.jobList;
    const { vertices, edges } = ended.progressDetail;
    const elements = (n: number) => n.toLocaleString('en-US');
    await shown(job).toContain(
      `${elements(vertices.done + edges.done)} of ${elements(vertices.expected + edges.expected)} elements`,
    );
    expect(vertices.expected + edges.expected).toBe(1000);
    const backups = page.getByRole('region', { name: 'Backups' });
    const listed = backups.getByRole('row', { name: new RegExp(`${GRAPH}-\\d{14}`) });
    await count(listed).toBe(1);
    await shown(listed).toContain('Manual');
    await shown(listed).toContain('Succeeded');
    await shown(listed).toContain('MB');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    // Fresh now: no longer flagged.
    await shown(page.locator('.freshness-line')).not.toContain('No backup');
    await snapshot('graph');
  });

  it('lists the download links of a backup', async () => {
    await openGraph();
    await page.getByRole('button', { name: /^Download files of / }).click();
    const links = page.locator('.files a');
    await visible(links.first());
    const names = await links.allTextContents();
    expect(names).toContain('manifest.json');
    expect(names.some((n) => /^part-.*\.jsonl\.gz$/.test(n))).toBe(true);
    expect(await links.first().getAttribute('href')).toMatch(/^https?:\/\/.*X-Amz-Signature=/);
    await page.getByRole('button', { name: /^Download files of / }).click();
  });

  it('restores the graph from its backup, after a confirmation that says it stops the graph', async () => {
    await openGraph();
    const backups = await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}/backups`, {
      token: await tokenFor(PROJECT),
    });
    const backup = backups.body.backupList[0];
    await page.getByRole('button', { name: `Restore ${GRAPH} from ${backup.name}` }).click();
    const dialog = page.getByRole('dialog');
    await visible(dialog);
    await shown(dialog).toContain(`Restore ${GRAPH} from ${backup.name}?`);
    await shown(dialog).toContain(`stops the graph ${GRAPH}`);
    // Focus starts on Cancel, inside the dialog.
    await expect
      .poll(() =>
        dialog
          .getByRole('button', { name: 'Cancel' })
          .evaluate((el) => el === el.ownerDocument.activeElement),
      )
      .toBe(true);
    await snapshot('restore-dialog', { fullPage: false });
    // Escape changes nothing.
    await page.keyboard.press('Escape');
    await count(dialog).toBe(0);
    expect(
      (await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}`, { token: await tokenFor(PROJECT) })).body.graph
        .status,
    ).toBe('200');

    await page.getByRole('button', { name: `Restore ${GRAPH} from ${backup.name}` }).click();
    // By keyboard: from Cancel to the confirmation.
    const cancel = page.getByRole('dialog').getByRole('button', { name: 'Cancel' });
    await expect.poll(() => cancel.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Tab');
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Stop graph and restore' });
    await expect.poll(() => confirm.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await count(page.getByRole('dialog'), 60_000).toBe(0);
    const restore = page.getByRole('article', { name: `Start / restore of ${GRAPH}` });
    await shown(restore.first(), 60_000).toContain('Succeeded');
    await shown(page.locator('.graph-facts')).toContain('Running');

    // What the service did: a stop, then a start from that backup, both ended well.
    const jobs = (
      await call('GET', `/v1.0/${PROJECT}/graphs/jobs?limit=10`, { token: await tokenFor(PROJECT) })
    ).body.jobList as { jobName: string; status: string; jobId: string }[];
    const start = jobs.find((j) => j.jobName === 'StartGraph');
    expect(jobs.find((j) => j.jobName === 'StopGraph')?.status).toBe('success');
    expect(start && (await waitForJob(PROJECT, graphId, start.jobId)).status).toBe('success');
    const graph = (
      await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}`, { token: await tokenFor(PROJECT) })
    ).body.graph;
    expect(graph).toMatchObject({ status: '200', vertexNum: 400, edgeNum: 600 });
  });

  it('edits the backup policy, showing the API validation errors next to each field', async () => {
    await openGraph();
    const form = page.getByRole('region', { name: 'Backup policy' });
    await form.getByLabel('Schedule').fill('every day at noon');
    await form.getByLabel('Automatic backups kept').fill('0');
    await form.getByRole('button', { name: 'Save policy' }).click();
    const keep = form.getByLabel('Automatic backups kept');
    await attribute(keep, 'aria-invalid').toBe('true');
    await shown(form.locator('#keepAuto-error')).toContain('GES.7016');
    await form.getByLabel('Automatic backups kept').fill('3');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await attribute(form.getByLabel('Schedule'), 'aria-invalid').toBe('true');
    await shown(form.locator('#schedule-error')).toContain('GES.7016');
    await form.getByLabel('Schedule').fill('rate(1 hour)');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await shown(form.getByRole('status')).toContain('Saved. Next run');
    await shown(form).toContain('Enabled · rate(1 hour) · keeps 3 automatic');
    const policy = await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}/backup-policy`, {
      token: await tokenFor(PROJECT),
    });
    expect(policy.body).toMatchObject({ enabled: true, schedule: 'rate(1 hour)', keepAuto: 3 });
    // The allowed age follows the policy: twice its interval.
    await shown(page.locator('.freshness-line')).toContain('allowed 2 h (2 × rate(1 hour))');
  });

  it('puts a failed job first, with its GES code and reason', async () => {
    const token = await tokenFor(PROJECT);
    const imported = await call('POST', `/v2/${PROJECT}/graphs/${graphId}/backups/import`, {
      token,
      body: { import_path: `ges-backup-local-transfer-missing/${PROJECT}/nothing-here` },
    });
    expect(imported.status).toBe(200);
    const failed = await waitForJob(PROJECT, graphId, imported.body.job_id);
    expect(failed.status).toBe('failed');
    await page.goto('about:blank');
    await page.goto(consoleUrl());
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await shown(attention).toContain(failed.errorCode);
    await shown(attention).toContain('Import of movies');
    await shown(page.getByRole('link', { name: /Failed jobs, 24 h/ })).toContain('1');
    await snapshot('overview');
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const failedJobs = page.getByRole('region', { name: 'Failed' });
    await shown(failedJobs.getByRole('article')).toContain(failed.errorCode);
    await shown(failedJobs.getByRole('article')).toContain(failed.failReason);
    await snapshot('jobs');
  });

  it('deletes a backup after a confirmation that names it', async () => {
    const token = await tokenFor(PROJECT);
    const listed = async () =>
      (await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}/backups`, { token })).body.backupList as {
        id: string;
        name: string;
        backupMethod: string;
      }[];
    const backup = (await listed()).find((b) => b.backupMethod === 'manual');
    if (!backup) throw new Error('no manual backup to delete');
    await openGraph();
    await page.getByRole('button', { name: `Delete ${backup.name}` }).click();
    const dialog = page.getByRole('dialog');
    await shown(dialog).toContain(`Delete backup ${backup.name}?`);
    await dialog.getByRole('button', { name: 'Delete backup' }).click();
    await count(page.getByRole('dialog')).toBe(0);
    await count(page.getByRole('row', { name: new RegExp(backup.name) })).toBe(0);
    expect((await listed()).map((b) => b.id)).not.toContain(backup.id);
  });

  it('goes back to the credentials form when the service refuses the session (403)', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(PROJECT, await tokenFor(PROJECT, 'viewer'));
    await page.getByRole('link', { name: GRAPH, exact: true }).first().click();
    await page.getByRole('button', { name: 'Back up now' }).click();
    await shown(page.getByRole('alert')).toContain('GES.7041');
    await expect.poll(() => page.getByLabel('Project id').inputValue()).toBe(PROJECT);
    await visible(page.getByRole('button', { name: 'Sign in' }));
    expect(await stored()).toBeNull();
  });

  it('signs its requests with an access key and secret key (SDK-HMAC-SHA256) when given them', async () => {
    // The service's AK/SK check is not here yet: answer for it, and check what the browser sent.
    const sent: { method: string; url: URL; headers: Record<string, string> }[] = [];
    const empty: Record<string, unknown> = {
      graphs: { graphCount: 0, graphs: [] },
      backups: { backupCount: 0, backupList: [] },
      jobs: { jobCount: 0, jobList: [] },
    };
    await page.route(
      (url) => url.pathname.startsWith(`/v1.0/${PROJECT}/`),
      async (route) => {
        const request = route.request();
        const url = new URL(request.url());
        sent.push({ method: request.method(), url, headers: await request.allHeaders() });
        const body = empty[url.pathname.split('/').pop() ?? ''] ?? {};
        await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
      },
    );
    await page.goto(consoleUrl());
    await page.getByLabel('Project id').fill(PROJECT);
    await page.getByText('Access key', { exact: true }).click();
    await page.getByLabel('Access key (AK)').fill('CONSOLETESTAK');
    await page.getByLabel('Secret key (SK)').fill('console-test-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.getByRole('region', { name: 'Graphs' })).toContain('This project has no graphs.');
    await page.unroute(() => true);

    const first = sent[0];
    if (!first) throw new Error('no request was sent');
    expect(first.headers['x-auth-token']).toBeUndefined();
    const date = first.headers['x-sdk-date'] ?? '';
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    const match =
      /^SDK-HMAC-SHA256 Access=CONSOLETESTAK, SignedHeaders=host;x-sdk-date, Signature=([0-9a-f]{64})$/.exec(
        first.headers.authorization ?? '',
      );
    expect(match, first.headers.authorization).not.toBeNull();
    // The signature, worked out here independently of the console's signer.
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const query = [...first.url.searchParams]
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .sort()
      .join('&');
    const canonical = [
      first.method,
      `${first.url.pathname}/`,
      query,
      `host:${first.url.host}\nx-sdk-date:${date}\n`,
      'host;x-sdk-date',
      sha256(''),
    ].join('\n');
    const toSign = `SDK-HMAC-SHA256\n${date}\n${sha256(canonical)}`;
    expect(match?.[1]).toBe(createHmac('sha256', 'console-test-secret').update(toSign).digest('hex'));
    // The secret key itself never leaves the page.
    expect(JSON.stringify(sent)).not.toContain('console-test-secret');
    expect(page.url()).not.toContain('console-test-secret');
  });
});
