import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, inject, it } from 'vitest';
import { LOCAL_AWS } from '../../local/emulators.js';
import type { PutEvent } from '../../local/event-bus.js';
import { call, graphWith, tokenFor } from './client.js';

const PROJECT = 'events';
const bus = new EventBridgeClient({ endpoint: inject('eventBus'), ...LOCAL_AWS });

async function eventsAbout(graphId: string, detailType: string, timeoutMs = 30_000): Promise<PutEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = (await (await fetch(`${inject('eventBus')}/events`)).json()) as PutEvent[];
    const found = all.filter(
      (e) => e['detail-type'] === detailType && (e.detail as { graphId?: string }).graphId === graphId,
    );
    if (found.length || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('events on the local stack', () => {
  it('turn a Graph Backup Requested event into a backup that announces its success', async () => {
    const { graphId } = await graphWith(PROJECT, { vertices: [{ vertex: 'a', label: 'l', properties: {} }] });

    await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'ges.backup.requests',
            DetailType: 'Graph Backup Requested',
            Detail: JSON.stringify({ projectId: PROJECT, graphId }),
          },
        ],
      }),
    );

    const [succeeded] = await eventsAbout(graphId, 'Graph Backup Succeeded');
    expect(succeeded).toMatchObject({
      source: 'ges.backup',
      detail: { projectId: PROJECT, graphId, vertexNum: 1, edgeNum: 0 },
    });
    const list = await call('GET', `/v1.0/${PROJECT}/graphs/${graphId}/backups`, {
      token: await tokenFor(PROJECT),
    });
    expect(list.body.backupList).toMatchObject([{ backupMethod: 'auto', status: 'success' }]);
  });

  it('announce a restore that succeeded', async () => {
    const token = await tokenFor(PROJECT);
    const { graphId } = await graphWith(PROJECT);
    const backup = await call('POST', `/v1.0/${PROJECT}/graphs/${graphId}/backups`, { token });
    await eventsAbout(graphId, 'Graph Backup Succeeded');
    await call('POST', `/v1.0/${PROJECT}/graphs/${graphId}/action?action_id=stop`, { token });

    await call('POST', `/v1.0/${PROJECT}/graphs/${graphId}/action?action_id=start`, {
      token,
      body: { graph_backup_id: backup.body.backupId },
    });

    const [restored] = await eventsAbout(graphId, 'Graph Restore Succeeded');
    expect(restored?.detail).toMatchObject({ graphId, backupId: backup.body.backupId });
  });
});
