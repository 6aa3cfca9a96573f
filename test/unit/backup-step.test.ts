import { describe, expect, it } from 'vitest';
import { backupStepSchema, positionsOf } from '../../lib/operations/backup/job.js';

const step = (rest: object) => backupStepSchema.parse({ runId: 'r', task: 1, shards: [2, 3, 4], ...rest });

describe('where the shards of a backup task start', () => {
  it('starts every shard of a fresh step at its first segment', () => {
    expect(positionsOf(step({}))).toEqual([
      { shard: 2, segment: 0 },
      { shard: 3, segment: 0 },
      { shard: 4, segment: 0 },
    ]);
  });

  it('goes on from each position a checkpoint lists, and takes a shard it does not list as done', () => {
    const at = [
      { shard: 2, segment: 3, startKey: { pk: 'p', sk: 'a' } },
      { shard: 4, segment: 1, startKey: { pk: 'p', sk: 'b' } },
    ];
    expect(positionsOf(step({ at }))).toEqual(at);
  });

  it('reads a checkpoint of one shard at a time as: the earlier shards done, the later ones from their start', () => {
    const from = { shard: 3, segment: 2, startKey: { pk: 'p', sk: 'c' } };
    expect(positionsOf(step({ from }))).toEqual([from, { shard: 4, segment: 0 }]);
  });
});
