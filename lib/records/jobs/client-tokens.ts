import { z } from 'zod';
import { clientTokenKey } from '../../core/keys.js';
import type { Action, Store } from '../../core/store.js';
import { when } from '../../core/store.js';

/** How long a retried request with the same `X-Client-Token` gets the same job back. */
export const CLIENT_TOKEN_SECONDS = 8 * 3600;
export const clientTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export type TokenUse = { graphId: string; jobId: string; backupId: string };

/**
 * Idempotency records (like AWS Backup's IdempotencyToken): a token written in the same transaction
 * as the job it started. Expired records are treated as absent before DynamoDB's TTL removes them.
 */
export class ClientTokenRepo {
  constructor(private readonly store: Store) {}

  async get(projectId: string, token: string, now: number): Promise<TokenUse | undefined> {
    const item = await this.store.get('control', clientTokenKey(projectId, token));
    if (!item || Number(item.expiresAt) * 1000 <= now) return undefined;
    return { graphId: String(item.graphId), jobId: String(item.jobId), backupId: String(item.backupId) };
  }

  use(projectId: string, token: string, use: TokenUse, now: number): Action {
    const nowSeconds = Math.floor(now / 1000);
    return {
      name: 'use the client token',
      table: 'control',
      put: { ...clientTokenKey(projectId, token), ...use, expiresAt: nowSeconds + CLIENT_TOKEN_SECONDS },
      if: when.or(when.absent('pk'), when.le('expiresAt', nowSeconds)),
    };
  }
}
