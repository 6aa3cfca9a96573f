import { describe, expect, it } from 'vitest';
import { window } from '../../lib/core/concurrency.js';

/** A piece of work that ends when the test says so. */
function gate() {
  let open: () => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { work: () => done, open: () => open(), fail: (e: Error) => fail(e) };
}

describe('window', () => {
  it('lets the producer run ahead by at most `limit` pieces, and goes on when one ends', async () => {
    const pieces = window(2);
    const [a, b] = [gate(), gate()];
    await pieces.add(a.work);
    let added = false;
    const adding = pieces.add(b.work).then(() => {
      added = true;
    });
    await Promise.resolve();
    expect(added).toBe(false); // two in flight: no room for a third yet
    a.open();
    await adding;
    expect(added).toBe(true);
    b.open();
    await pieces.settled();
  });

  it('waits for every piece in flight before it throws the first failure', async () => {
    const pieces = window(3);
    const [a, b] = [gate(), gate()];
    await pieces.add(a.work);
    await pieces.add(b.work);
    a.fail(new Error('write failed'));
    let settled = false;
    const settling = pieces.settled().catch((e: Error) => {
      settled = true;
      return e.message;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // b is still running
    b.open();
    expect(await settling).toBe('write failed');
    await expect(pieces.add(async () => undefined)).rejects.toThrow('write failed');
  });
});
