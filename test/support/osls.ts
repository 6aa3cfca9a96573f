import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from '../../console/build.js';

/**
 * osls as the tests run it: on a copy of the service, without AWS credentials and with a HOME of its
 * own, in its own process group. Nothing here talks to AWS or to LocalStack.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OSLS = join(ROOT, 'node_modules/osls/bin/serverless.js');
/** What `osls package` reads: the definition, the handlers and what they import. */
const SERVICE_FILES = [
  'serverless.yml',
  'serverless',
  'package.json',
  'tsconfig.json',
  'functions',
  'lib',
  'console',
  // The console's function serves the API's OpenAPI document, bundled from here.
  'openapi.json',
];

/** `timedOut`: the run was stopped at its time limit rather than ending by itself. */
export type Run = { code: number | null; stdout: string; stderr: string; timedOut: boolean; ms: number };

export type Scratch = {
  /** The copy of the service, where osls runs. */
  service: string;
  /** A folder beside it, for `--package` output and the like. */
  dir: string;
  /** This process's environment without AWS_* and ESBUILD_WORK_FOLDER, HOME in the scratch folder. */
  env: NodeJS.ProcessEnv;
  remove: () => Promise<void>;
};

/**
 * osls works in the service's folder: it writes .serverless/ there (and deletes it after a
 * `--package`), serverless-esbuild its .esbuild/. So it runs on a copy of the service, and a test
 * never touches the project's own build output, whatever else runs beside it.
 */
export async function scratchService(prefix: string): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const service = join(dir, 'service');
  await Promise.all(
    SERVICE_FILES.map((path) => cp(join(ROOT, path), join(service, path), { recursive: true })),
  );
  await symlink(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');
  // The console's function embeds its built files (what `npm run package` builds first).
  await buildConsole(join(service, 'console/dist'));
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && key !== 'ESBUILD_WORK_FOLDER'),
    ),
    HOME: dir,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  return { service, dir, env, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * osls in its own process group, stopped (the whole group) at `timeoutMs`. With `stopOnError`, it is
 * also stopped 3 s after it prints an error, which it may outlive.
 */
export function osls(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  { timeoutMs = 150_000, stopOnError = true }: { timeoutMs?: number; stopOnError?: boolean } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [OSLS, ...args], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let failing: NodeJS.Timeout | undefined;
    const watch = () => {
      if (stopOnError && !failing && /^Error:/m.test(stdout + stderr)) failing = setTimeout(killGroup, 3000);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      watch();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      watch();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(failing);
      killGroup(); // anything it left behind in its group
      resolve({ code, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}
