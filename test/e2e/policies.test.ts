import { describe, expect, it } from 'vitest';
import { call, graphWith, tokenFor } from './client.js';

const PROJECT = 'policies';

describe('backup policies over HTTP', () => {
  it('keeps a backup policy, and refuses a bad schedule', async () => {
    const token = await tokenFor(PROJECT);
    const { graphId } = await graphWith(PROJECT);
    const path = `/v1.0/${PROJECT}/graphs/${graphId}/backup-policy`;

    const put = await call('PUT', path, {
      token,
      body: { enabled: true, schedule: 'cron(0 3 * * ? *)', keepAuto: 5 },
    });
    const got = await call('GET', path, { token });
    const bad = await call('PUT', path, {
      token,
      body: { enabled: true, schedule: 'rate(1 minutes)', keepAuto: 5 },
    });

    expect(put.status).toBe(200);
    expect(got.body).toEqual({
      enabled: true,
      schedule: 'cron(0 3 * * ? *)',
      keepAuto: 5,
      nextRunTime: expect.stringMatching(/T03:00:00$/),
    });
    expect(bad).toMatchObject({ status: 400, body: { errorCode: 'GES.7016' } });
    const v2 = await call('GET', `/v2/${PROJECT}/graphs/${graphId}/backup-policy`, { token });
    expect(v2.body).toMatchObject({ keep_auto: 5, next_run_time: expect.any(String) });
  });
});
