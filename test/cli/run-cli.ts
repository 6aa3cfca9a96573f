import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/ges-backup.mjs', import.meta.url));

export type Ran = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** A config file of the test's own, so that no profile of the machine's user leaks in. */
export const CONFIG = join(mkdtempSync(join(tmpdir(), 'ges-backup-cli-')), 'config.json');

/** Runs `ges-backup ...args` as a subprocess, stdin closed (not a terminal). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const key of ['GES_ENDPOINT', 'GES_TOKEN', 'GES_PROJECT', 'GES_PROFILE']) delete base[key];
  const merged: NodeJS.ProcessEnv = { ...base, GES_BACKUP_CONFIG: CONFIG, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

/** Text without terminal escapes (cursor moves, colours). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is what it removes
export const stripAnsi = (text: string) => text.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '');
