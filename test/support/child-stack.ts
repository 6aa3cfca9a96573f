import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { killWithParent } from '../../local/emulators.js';

// The tests of subprocess clients (cli, browser) share nothing with the e2e stack in vitest's process.

const ROOT = join(import.meta.dirname, '../..');
const READY_TIMEOUT_MS = 120_000;

/** The whole local stack, as `npm start` runs it, in a child process (see stack-process.ts). */
export async function childStack(): Promise<{ stack: StackInChild; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'test/support/stack-process.ts'],
    {
      cwd: ROOT,
      env: process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stop = killWithParent(child, { group: true });
  let output = '';
  try {
    const stack = await new Promise<StackInChild>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the stack did not start in ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-8192);
        const ready = /^(\{"baseUrl":.*\})$/m.exec(output);
        if (ready?.[1]) {
          clearTimeout(timer);
          resolve(JSON.parse(ready[1]) as StackInChild);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stack exited (${code})`));
      });
    });
    return { stack, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
}

export type StackInChild = { baseUrl: string; s3: string; transferBuckets: string };
