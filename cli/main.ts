import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { Api, type GlobalOptions, type Json, resolveConnection } from './client.js';
import { configPath, writeProfile } from './config.js';
import { downloadBackup } from './download.js';
import { CliError, Exit, usage } from './errors.js';
import { progressOf, watchJob } from './progress.js';
import { verifyBackup } from './verify.js';

/** `ges-backup`: the GES backup service from a shell. See the README's "Command line". */

export const program = new Command('ges-backup')
  .description('Back up, restore, download and verify GES graphs from the command line.')
  .version('0.1.0')
  .addOption(new Option('--endpoint <url>', 'the service (env GES_ENDPOINT; default http://127.0.0.1:3000)'))
  .addOption(new Option('--token <token>', 'an X-Auth-Token (env GES_TOKEN)'))
  .addOption(new Option('--project <id>', 'the project id (env GES_PROJECT)'))
  .addOption(
    new Option('--profile <name>', 'a profile of the config file (env GES_PROFILE; default "default")'),
  )
  .option('--json', 'print JSON for scripts instead of text')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  $ ges-backup configure --endpoint http://127.0.0.1:3000 --project demo --token "$TOKEN"
  $ ges-backup backup create movies --wait
  $ ges-backup download movies <backupId> ./movies-backup && ges-backup verify ./movies-backup

Exit codes: 0 ok, 1 usage, 2 API error, 3 authentication or permission, 4 not found,
5 service unavailable, 6 verify failed, 7 job failed, 130 interrupted.`,
  );

type Opts = GlobalOptions & Record<string, unknown>;

/** Wraps an action: connection, errors → message and exit code. */
function run(action: (api: () => Promise<Api>, opts: Opts, ...args: string[]) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const opts = command.optsWithGlobals() as Opts;
    const positional = args.slice(0, -2).map(String);
    try {
      await action(async () => new Api(await resolveConnection(opts)), opts, ...positional);
    } catch (error) {
      report(error, opts);
    }
  };
}

function report(error: unknown, opts: Opts): void {
  const e =
    error instanceof CliError ? error : new CliError((error as Error)?.message ?? String(error), Exit.usage);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: e.code, message: e.message, status: e.status, exitCode: e.exitCode } })}\n`,
    );
  }
  process.stderr.write(`Error${e.code ? ` ${e.code}` : ''}: ${e.message}\n`);
  process.exitCode = e.exitCode;
}

function out(opts: Opts, value: unknown, text: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** Columns padded to their widest cell. */
function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (!rows.length) return '(none)';
  const cells = [columns, ...rows.map((r) => columns.map((c) => String(r[c] ?? '')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] as string).length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const example = (command: Command, ...lines: string[]) =>
  command.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}`,
  );

const resumeHint = (graph: string, jobId: string) => `ges-backup jobs watch ${graph} ${jobId}`;

async function wait(api: Api, graphId: string, jobId: string, opts: Opts): Promise<Json> {
  return watchJob(api, graphId, jobId, { resume: resumeHint(graphId, jobId), json: Boolean(opts.json) });
}

function describeJob(job: Json): string {
  const p = progressOf(job);
  const lines = [
    `job ${job.jobId}: ${job.jobName} of ${job.relatedGraph}, ${job.status}, ${Math.round(p.percent)}%`,
    `  elements ${p.elements.done}/${p.elements.expected}` +
      (p.shards ? `, shards ${p.shards.done}/${p.shards.expected}` : ''),
    `  began ${job.beginTime}${job.endTime ? `, ended ${job.endTime}` : ''}`,
  ];
  if (job.status === 'failed')
    lines.push(`  failed: ${job.errorCode ?? ''} ${job.failReason ?? ''}`.trimEnd());
  return lines.join('\n');
}

/** A backup of the graph by id or by name. */
async function backupOf(api: Api, graphId: string, idOrName: string): Promise<Json> {
  const backups = await api.all(`graphs/${graphId}/backups`, 'backupList');
  const found = backups.find((b) => b.id === idOrName) ?? backups.find((b) => b.name === idOrName);
  if (!found) {
    throw new CliError(
      `The graph backup does not exist or has been deleted: ${idOrName}`,
      Exit.notFound,
      'GES.7024',
    );
  }
  return found;
}

// configure ------------------------------------------------------------------------------------------
example(
  program
    .command('configure')
    .description(`write a profile to ${configPath()} (or $GES_BACKUP_CONFIG)`)
    .option('--ak <ak>', 'an access key: requests are signed with SDK-HMAC-SHA256')
    .option('--sk <sk>', 'the secret key of --ak')
    .action(
      run(async (_api, opts) => {
        if (Boolean(opts.ak) !== Boolean(opts.sk)) throw usage('--ak and --sk go together');
        if (opts.token && opts.ak) throw usage('a profile holds a token or an AK/SK pair, not both');
        const name = opts.profile ?? 'default';
        const profile = await writeProfile(name, {
          ...(opts.endpoint && { endpoint: opts.endpoint }),
          ...(opts.project && { project: opts.project }),
          ...(opts.token && { token: opts.token }),
          ...(typeof opts.ak === 'string' && { ak: opts.ak }),
          ...(typeof opts.sk === 'string' && { sk: opts.sk }),
        });
        const shown = {
          ...profile,
          ...(profile.token && { token: '***' }),
          ...(profile.sk && { sk: '***' }),
        };
        out(
          opts,
          { profile: name, path: configPath(), ...shown },
          () => `profile "${name}" written to ${configPath()}`,
        );
      }),
    ),
  'ges-backup configure --endpoint https://ges.example.com --project demo --ak AK --sk SK',
  'ges-backup --profile local configure --project demo --token "$TOKEN"',
);

// graphs ---------------------------------------------------------------------------------------------
const graphs = example(
  program.command('graphs').description('the graphs of the project'),
  'ges-backup graphs list',
  'ges-backup graphs show movies --json',
);
example(
  graphs
    .command('list')
    .description('list the graphs')
    .action(
      run(async (api, opts) => {
        const list = await (await api()).all('graphs', 'graphs');
        out(opts, list, () => table(list, ['id', 'name', 'status', 'vertexNum', 'edgeNum', 'createdTime']));
      }),
    ),
  'ges-backup graphs list --json',
);
example(
  graphs
    .command('show <graph>')
    .description('one graph, by id or name')
    .action(
      run(async (api, opts, graph) => {
        const a = await api();
        const { graph: g } = await a.request('GET', `graphs/${await a.graphId(graph as string)}`);
        out(opts, g, () =>
          Object.entries(g)
            .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
            .join('\n'),
        );
      }),
    ),
  'ges-backup graphs show movies',
);

// backup ---------------------------------------------------------------------------------------------
const backup = example(
  program.command('backup').description('back up a graph; list and delete backups'),
  'ges-backup backup create movies --wait',
  'ges-backup backup list --graph movies',
);
example(
  backup
    .command('create <graph>')
    .description('start a backup of a graph (by id or name)')
    .option('--wait', 'follow the job to its end')
    .action(
      run(async (api, opts, graph) => {
        const a = await api();
        const graphId = await a.graphId(graph as string);
        const started = await a.request('POST', `graphs/${graphId}/backups`);
        if (!opts.wait) {
          out(
            opts,
            { graphId, ...started },
            () => `backup ${started.backupId} started: job ${started.jobId}`,
          );
          return;
        }
        if (!opts.json) process.stderr.write(`backup ${started.backupId} started: job ${started.jobId}\n`);
        const job = await wait(a, graphId, started.jobId, opts);
        out(opts, { graphId, ...started, job }, () => {
          const p = progressOf(job);
          return `backup ${started.backupId} of ${job.relatedGraph}: success, ${p.elements.done} elements`;
        });
      }),
    ),
  'ges-backup backup create movies --wait',
);
example(
  backup
    .command('list')
    .description('list backups, newest first')
    .option('--graph <graph>', 'only those of one graph (id or name)')
    .action(
      run(async (api, opts) => {
        const a = await api();
        const path = opts.graph
          ? `graphs/${await a.graphId(opts.graph as string)}/backups`
          : 'graphs/backups';
        const list = await a.all(path, 'backupList');
        out(opts, list, () =>
          table(list, ['id', 'name', 'graphName', 'backupMethod', 'status', 'size', 'startTime']),
        );
      }),
    ),
  'ges-backup backup list --graph movies',
);
example(
  backup
    .command('delete <graph> <backup>')
    .description('delete a backup and its files')
    .action(
      run(async (api, opts, graph, backupArg) => {
        const a = await api();
        const graphId = await a.graphId(graph as string);
        const b = await backupOf(a, graphId, backupArg as string);
        await a.request('DELETE', `graphs/${graphId}/backups/${b.id}`);
        out(opts, { deleted: b.id, graphId }, () => `backup ${b.id} (${b.name}) deleted`);
      }),
    ),
  'ges-backup backup delete movies movies-20261201120000',
);

// restore --------------------------------------------------------------------------------------------
example(
  program
    .command('restore <graph>')
    .description('start a stopped graph from a backup: its data are replaced by the backup')
    .requiredOption('--from <backup>', 'the backup (id or name)')
    .option('--stop', 'stop the graph first (and wait for it) if it is running')
    .option('--yes', 'do not ask for confirmation')
    .option('--wait', 'follow the restore job to its end')
    .action(
      run(async (api, opts, graphArg) => {
        const a = await api();
        let graph = await a.graph(graphArg as string);
        const b = await backupOf(a, graph.id, opts.from as string);
        const running = graph.status !== '900';
        if (running && !opts.stop) {
          throw new CliError(
            `graph ${graph.name} is not stopped (status ${graph.status}): stop it first, or pass --stop`,
            Exit.api,
            'GES.7037',
          );
        }
        if (!opts.yes) {
          await confirm(
            `${running ? `Stop graph ${graph.name} and replace` : `Replace`} the data of graph ${graph.name} (${graph.id}) ` +
              `with backup ${b.name} (${b.id})?`,
          );
        }
        if (running) {
          if (!opts.json) process.stderr.write(`stopping graph ${graph.name}...\n`);
          const { jobId } = await a.request('POST', `graphs/${graph.id}/action`, {
            query: { action_id: 'stop' },
          });
          await watchJob(a, graph.id, jobId, { resume: resumeHint(graph.id, jobId), json: true });
          graph = (await a.request('GET', `graphs/${graph.id}`)).graph;
        }
        const { jobId } = await a.request('POST', `graphs/${graph.id}/action`, {
          query: { action_id: 'start' },
          body: { graph_backup_id: b.id },
        });
        if (!opts.wait) {
          out(
            opts,
            { graphId: graph.id, backupId: b.id, jobId },
            () => `restore of ${graph.name} from ${b.name} started: job ${jobId}`,
          );
          return;
        }
        if (!opts.json)
          process.stderr.write(`restore of ${graph.name} from ${b.name} started: job ${jobId}\n`);
        const job = await wait(a, graph.id, jobId, opts);
        out(
          opts,
          { graphId: graph.id, backupId: b.id, jobId, job },
          () => `graph ${graph.name} restored from ${b.name}`,
        );
      }),
    ),
  'ges-backup restore movies --from movies-20261201120000 --stop --yes --wait',
);

async function confirm(question: string): Promise<void> {
  if (!process.stdin.isTTY) throw usage('not on a terminal: pass --yes to restore without confirmation');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new CliError('not confirmed: nothing was changed', Exit.usage);
  } finally {
    rl.close();
  }
}

// jobs -----------------------------------------------------------------------------------------------
const jobs = example(
  program.command('jobs').description('the job center'),
  'ges-backup jobs list --status running',
  'ges-backup jobs watch movies <jobId>',
);
example(
  jobs
    .command('list')
    .description('list jobs, newest first')
    .option('--graph <name>', 'only the jobs of a graph (by name)')
    .option('--status <status>', 'running, waiting, success or failed')
    .action(
      run(async (api, opts) => {
        const list = await (await api()).all('graphs/jobs', 'jobList', {
          graph_name: opts.graph as string | undefined,
          status: opts.status as string | undefined,
        });
        const rows = list.map((j) => ({ ...j, progress: `${j.jobProgress ?? 0}%` }));
        out(opts, list, () =>
          table(rows, ['jobId', 'jobName', 'relatedGraph', 'status', 'progress', 'beginTime']),
        );
      }),
    ),
  'ges-backup jobs list --status running',
);
example(
  jobs
    .command('show <graph> <job>')
    .description('one job')
    .action(
      run(async (api, opts, graph, jobId) => {
        const a = await api();
        const job = await a.job(await a.graphId(graph as string), jobId as string);
        out(opts, job, () => describeJob(job));
      }),
    ),
  'ges-backup jobs show movies 0f3c...',
);
example(
  jobs
    .command('watch <graph> <job>')
    .description('follow a job to its end (Ctrl-C stops watching, not the job)')
    .action(
      run(async (api, opts, graph, jobId) => {
        const a = await api();
        const job = await wait(a, await a.graphId(graph as string), jobId as string, opts);
        out(opts, job, () => describeJob(job));
      }),
    ),
  'ges-backup jobs watch movies 0f3c...',
);

// policy ---------------------------------------------------------------------------------------------
const policy = example(
  program.command('policy').description('automatic backups of a graph'),
  'ges-backup policy set movies --schedule "rate(1 day)" --keep-auto 7 --enabled',
);
example(
  policy
    .command('get <graph>')
    .description("the graph's backup policy")
    .action(
      run(async (api, opts, graph) => {
        const a = await api();
        const p = await a.request('GET', `graphs/${await a.graphId(graph as string)}/backup-policy`);
        out(opts, p, () =>
          Object.entries(p)
            .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
            .join('\n'),
        );
      }),
    ),
  'ges-backup policy get movies',
);
example(
  policy
    .command('set <graph>')
    .description('set the backup policy (options not given keep their current value)')
    .option('--schedule <expression>', 'rate(...) or a six-field UTC cron(...)')
    .option('--keep-auto <n>', 'automatic backups to keep', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw usage(`--keep-auto must be a whole number, not ${v}`);
      return n;
    })
    .option('--enabled', 'turn it on')
    .option('--disabled', 'turn it off')
    .action(
      run(async (api, opts, graph) => {
        if (opts.enabled && opts.disabled) throw usage('--enabled or --disabled, not both');
        const a = await api();
        const path = `graphs/${await a.graphId(graph as string)}/backup-policy`;
        const current: Json = await a.request('GET', path).catch((e: unknown) => {
          if (e instanceof CliError && e.exitCode === Exit.notFound) return {};
          throw e;
        });
        const body = {
          enabled: opts.enabled ? true : opts.disabled ? false : (current.enabled ?? true),
          schedule: (opts.schedule as string | undefined) ?? current.schedule,
          keepAuto: (opts.keepAuto as number | undefined) ?? current.keepAuto,
        };
        if (body.schedule === undefined || body.keepAuto === undefined) {
          throw usage('the graph has no policy yet: give --schedule and --keep-auto');
        }
        const p = await a.request('PUT', path, { body });
        out(opts, p, () =>
          Object.entries(p)
            .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
            .join('\n'),
        );
      }),
    ),
  'ges-backup policy set movies --schedule "cron(0 3 * * ? *)" --keep-auto 7 --enabled',
);

// export, import -------------------------------------------------------------------------------------
example(
  program
    .command('export <graph> <backup> <bucketPath>')
    .description("copy a backup's files to a transfer bucket path (bucket/projectId/prefix)")
    .option('--wait', 'follow the job to its end')
    .action(
      run(async (api, opts, graph, backupArg, path) => {
        const a = await api();
        const graphId = await a.graphId(graph as string);
        const b = await backupOf(a, graphId, backupArg as string);
        const { job_id: jobId } = await a.request('POST', `graphs/${graphId}/backups/export`, {
          tree: 'v2',
          body: { backup_id: b.id, export_path: path },
        });
        const job = opts.wait ? await wait(a, graphId, jobId, opts) : undefined;
        out(opts, { graphId, backupId: b.id, jobId, ...(job && { job }) }, () =>
          job
            ? `backup ${b.name} exported to ${path}`
            : `export of ${b.name} to ${path} started: job ${jobId}`,
        );
      }),
    ),
  'ges-backup export movies movies-20261201120000 ges-backup-local-transfer-x/demo/movies --wait',
);
example(
  program
    .command('import <graph> <bucketPath>')
    .description(
      'register an exported backup (its checksums and digest are checked) as a backup of the graph',
    )
    .option('--wait', 'follow the job to its end')
    .action(
      run(async (api, opts, graph, path) => {
        const a = await api();
        const graphId = await a.graphId(graph as string);
        const { job_id: jobId, backup_id: backupId } = await a.request(
          'POST',
          `graphs/${graphId}/backups/import`,
          {
            tree: 'v2',
            body: { import_path: path },
          },
        );
        const job = opts.wait ? await wait(a, graphId, jobId, opts) : undefined;
        out(opts, { graphId, backupId, jobId, ...(job && { job }) }, () =>
          job
            ? `imported ${path} as backup ${backupId}`
            : `import of ${path} started: job ${jobId}, backup ${backupId}`,
        );
      }),
    ),
  'ges-backup import movies ges-backup-local-transfer-x/demo/movies --wait',
);

// download, verify -----------------------------------------------------------------------------------
example(
  program
    .command('download <graph> <backup> <dir>')
    .description("fetch a backup's files into a folder (a re-run skips files whose SHA-256 already matches)")
    .action(
      run(async (api, opts, graph, backupArg, dir) => {
        const a = await api();
        const graphId = await a.graphId(graph as string);
        const b = await backupOf(a, graphId, backupArg as string);
        const report = await downloadBackup(a, graphId, b.id, dir as string, { json: Boolean(opts.json) });
        const got = report.files.filter((f) => f.action === 'downloaded').length;
        out(
          opts,
          report,
          () =>
            `${dir}: ${got} file(s) downloaded, ${report.files.length - got} already there, manifest.json written`,
        );
      }),
    ),
  'ges-backup download movies movies-20261201120000 ./backup && ges-backup verify ./backup',
);
example(
  program
    .command('verify <dir>')
    .description(
      'check a downloaded backup offline: manifest, sizes, SHA-256, record counts, content digests',
    )
    .action(
      run(async (_api, opts, dir) => {
        const report = await verifyBackup(dir as string);
        out(opts, report, () => {
          if (report.ok) {
            const m = report.manifest;
            return `OK ${dir}: backup ${m?.backupId} of ${m?.graphName}, ${m?.files} part file(s), ${m?.counts.vertices} vertices, ${m?.counts.edges} edges, digest ${m?.contentDigest}`;
          }
          return [
            `FAILED ${dir}: ${report.problems.length} problem(s)`,
            ...report.problems.map((p) => `  ${p.file}: ${p.check}: ${p.message}`),
          ].join('\n');
        });
        if (!report.ok) process.exitCode = Exit.verifyFailed;
      }),
    ),
  'ges-backup verify ./backup',
);
