import { randomInt } from 'node:crypto';
import { GesError } from '../../core/errors.js';
import type { SecretSealer } from '../../core/ports.js';
import type { Role } from '../../core/roles.js';
import { refusedAction } from '../../core/store.js';
import { ACCESS_KEY_QUOTA, type AccessKeyRecord, sealContext } from '../../records/access-keys/model.js';
import type { RecordDeps } from '../../runtime/deps.js';

/**
 * Access keys of a project (ours, for GES's SDKs, which sign with AK/SK by default): made by an admin
 * with a role, listed without their secrets, disabled, deleted. The secret key is returned once, by
 * `createAccessKey`, and kept sealed.
 */
export type AccessKeyDeps = Pick<RecordDeps, 'store' | 'accessKeys' | 'projects' | 'clock'> & {
  sealer: SecretSealer;
};

const UPPER_AND_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LETTERS_AND_DIGITS = `${UPPER_AND_DIGITS}abcdefghijklmnopqrstuvwxyz`;
/** Uniform characters from the system's CSPRNG (randomInt does not bias). */
const randomText = (alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');

export async function createAccessKey(
  deps: AccessKeyDeps,
  input: { projectId: string; role: Role; description?: string },
): Promise<{ key: AccessKeyRecord; secretKey: string }> {
  const accessKeyId = randomText(UPPER_AND_DIGITS, 20);
  const secretKey = randomText(LETTERS_AND_DIGITS, 40);
  const key: AccessKeyRecord = {
    accessKeyId,
    projectId: input.projectId,
    role: input.role,
    status: 'active',
    description: input.description ?? '',
    sealedSecret: await deps.sealer.seal(secretKey, sealContext({ accessKeyId, projectId: input.projectId })),
    createdAt: deps.clock.now(),
  };
  const quota = deps.projects.reserve(input.projectId, 'accessKeyCount', ACCESS_KEY_QUOTA);
  const outcome = await deps.store.transact([deps.accessKeys.put(key), quota]);
  if (refusedAction(outcome, quota.name)) {
    throw new GesError(
      'GES.0001',
      `Incorrect parameter. The project holds ${ACCESS_KEY_QUOTA} access keys, the most it may.`,
    );
  }
  if (!outcome.ok) throw new Error('a new access key id clashed with an existing one');
  return { key, secretKey };
}

export const listAccessKeys = (deps: Pick<AccessKeyDeps, 'accessKeys'>, input: { projectId: string }) =>
  deps.accessKeys.list(input.projectId);

const noSuchKey = (accessKeyId: string) =>
  new GesError('GES.7049', `The parameter does not exist. No access key ${accessKeyId} in this project.`);

/** A disabled key signs nothing from the next request on; it still counts against the quota. */
export async function disableAccessKey(
  deps: AccessKeyDeps,
  input: { projectId: string; accessKeyId: string },
): Promise<AccessKeyRecord> {
  const outcome = await deps.store.apply(
    deps.accessKeys.disable(input.projectId, input.accessKeyId, deps.clock.now()),
  );
  if (!outcome.ok) throw noSuchKey(input.accessKeyId);
  const key = await deps.accessKeys.get(input.accessKeyId);
  if (!key) throw noSuchKey(input.accessKeyId);
  return key;
}

export async function deleteAccessKey(
  deps: AccessKeyDeps,
  input: { projectId: string; accessKeyId: string },
): Promise<void> {
  const outcome = await deps.store.transact([
    deps.accessKeys.delete(input.projectId, input.accessKeyId),
    deps.projects.giveBack(input.projectId, 'accessKeyCount'),
  ]);
  if (!outcome.ok) throw noSuchKey(input.accessKeyId);
}

/** What the signature verifier needs of a key: its owner, role, status, and its secret on demand. */
export type ResolvedAccessKey = Pick<AccessKeyRecord, 'accessKeyId' | 'projectId' | 'role' | 'status'> & {
  secret(): Promise<string>;
};

/**
 * The verifier's lookup: one read of the key per request, so that disabling or deleting it holds
 * from the next request on, and the opened secret kept in memory for `cacheMs` (per cold start),
 * keyed by the sealed value, so that KMS is asked about once a minute per key, not once per request.
 */
export function accessKeyResolver(
  deps: Pick<AccessKeyDeps, 'accessKeys' | 'sealer' | 'clock'>,
  cacheMs = 60_000,
): (accessKeyId: string) => Promise<ResolvedAccessKey | undefined> {
  const opened = new Map<string, { secret: Promise<string>; until: number }>();
  return async (accessKeyId) => {
    const key = await deps.accessKeys.get(accessKeyId);
    if (!key) return undefined;
    const secret = () => {
      const now = deps.clock.now();
      for (const [sealed, entry] of opened) if (entry.until <= now) opened.delete(sealed);
      let entry = opened.get(key.sealedSecret);
      if (!entry) {
        entry = { secret: deps.sealer.open(key.sealedSecret, sealContext(key)), until: now + cacheMs };
        entry.secret.catch(() => opened.delete(key.sealedSecret));
        opened.set(key.sealedSecret, entry);
      }
      return entry.secret;
    };
    return {
      accessKeyId: key.accessKeyId,
      projectId: key.projectId,
      role: key.role,
      status: key.status,
      secret,
    };
  };
}
