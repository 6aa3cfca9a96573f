import { describe, expect, it } from 'vitest';
import { backupName } from '../../lib/records/backups/model.js';
import { type GraphRecord, GraphStatus } from '../../lib/records/graphs/model.js';
import { backupRefusal, writeRefusal } from '../../lib/records/graphs/rules.js';

const graph = (status: GraphRecord['status'], lockJobId?: string): GraphRecord => ({
  projectId: 'p',
  graphId: 'g',
  name: 'movies',
  status,
  createdAt: 0,
  generation: 1,
  shards: 4,
  ...(lockJobId && { lockJobId }),
});

describe('data writes', () => {
  it.each([
    [GraphStatus.running, undefined],
    [GraphStatus.backingUp, 'GES.7002'],
    [GraphStatus.stopped, 'GES.7003'],
    [GraphStatus.stopping, 'GES.7003'],
    [GraphStatus.starting, 'GES.7001'],
    [GraphStatus.deleted, 'GES.7000'],
  ])('on a graph in status %s are refused with %s', (status, code) => {
    expect(writeRefusal(graph(status))?.code).toBe(code);
  });

  it('on a graph that does not exist are refused with GES.7000', () => {
    expect(writeRefusal(undefined)?.code).toBe('GES.7000');
  });
});

describe('a backup', () => {
  it('may start on a running, free graph', () => {
    expect(backupRefusal(graph(GraphStatus.running))).toBeUndefined();
  });

  it.each([
    [GraphStatus.backingUp, 'GES.7002'],
    [GraphStatus.stopped, 'GES.7001'],
    [GraphStatus.starting, 'GES.7001'],
    [GraphStatus.deleted, 'GES.7000'],
  ])('is refused on a graph in status %s with %s', (status, code) => {
    expect(backupRefusal(graph(status))?.code).toBe(code);
  });

  it('is refused with GES.7001 while another job holds the graph', () => {
    expect(backupRefusal(graph(GraphStatus.running, 'job'))?.code).toBe('GES.7001');
  });

  it('is named as GES names manual and automatic backups (UTC)', () => {
    const at = Date.UTC(2026, 10, 27, 8, 5, 9);
    expect(backupName('movies', at, 'manual')).toBe('movies-20261127080509');
    expect(backupName('movies', at, 'auto')).toBe('movies_20261127080509_auto');
  });
});
