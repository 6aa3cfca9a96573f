import { startTestStack } from './stack.js';

/**
 * The local stack in a process of its own, for the cli and browser tests: a stack sets its process's
 * environment for its in-process worker (one stack per process), and `npm test` runs the e2e
 * project's stack in vitest's. Prints what the tests need as one JSON line once up; SIGTERM stops it.
 */
const stack = await startTestStack();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log(
  JSON.stringify({
    baseUrl: stack.baseUrl,
    s3: stack.endpoints.s3,
    transferBuckets: stack.env.TRANSFER_BUCKETS ?? '',
  }),
);
