import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exportSPKI, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { KmsSealer } from '../../lib/adapters/kms-sealer.js';
import { LocalSealer } from '../../lib/adapters/local-sealer.js';
import { parseSealerConfig } from '../../lib/core/config.js';
import { DependencyUnavailable } from '../../lib/core/errors.js';
import type { SecretSealer } from '../../lib/core/ports.js';
import { sdkDate, signRequest } from '../../lib/core/sdk-signature.js';
import { createAuthenticator } from '../../lib/http/authenticate.js';
import {
  accessKeyResolver,
  createAccessKey,
  deleteAccessKey,
  disableAccessKey,
  listAccessKeys,
} from '../../lib/operations/access-keys/access-keys.js';
import { ACCESS_KEY_QUOTA } from '../../lib/records/access-keys/model.js';
import { memoryDeps } from '../support/memory-deps.js';

let keyFile: string;
beforeAll(async () => {
  keyFile = join(await mkdtemp(join(tmpdir(), 'seal-')), 'key');
  await writeFile(keyFile, Buffer.alloc(32, 7));
});

/** A sealer that counts how often it is asked to open. */
function countingSealer(inner: SecretSealer) {
  const counted = { opened: 0 };
  const sealer: SecretSealer = {
    seal: (s, c) => inner.seal(s, c),
    open: (s, c) => {
      counted.opened++;
      return inner.open(s, c);
    },
  };
  return { sealer, counted };
}

describe('the local sealer', () => {
  it('opens what it sealed, under the same context only', async () => {
    const sealer = new LocalSealer(keyFile);
    const sealed = await sealer.seal('the secret', { accessKeyId: 'A', projectId: 'p' });
    expect(sealed).not.toContain('the secret');
    expect(await sealer.open(sealed, { projectId: 'p', accessKeyId: 'A' })).toBe('the secret');
    await expect(sealer.open(sealed, { accessKeyId: 'A', projectId: 'q' })).rejects.toThrow();
    // One bit of the ciphertext, of the IV or of the tag changed: GCM's tag no longer holds.
    const [iv, tag, ciphertext] = sealed.slice('local:'.length).split('.');
    const flip = (b64 = '') => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return bytes.toString('base64');
    };
    for (const tampered of [
      [flip(iv), tag, ciphertext],
      [iv, flip(tag), ciphertext],
      [iv, tag, flip(ciphertext)],
    ]) {
      await expect(
        sealer.open(`local:${tampered.join('.')}`, { accessKeyId: 'A', projectId: 'p' }),
      ).rejects.toThrow();
    }
  });

  it('refuses a key file that is not 32 bytes', async () => {
    const short = `${keyFile}-short`;
    await writeFile(short, Buffer.alloc(16));
    await expect(new LocalSealer(short).seal('x', {})).rejects.toThrow(/32 bytes/);
  });
});

describe('the KMS sealer', () => {
  it('encrypts and decrypts with the key and the context, and reports KMS outages as such', async () => {
    const sent: unknown[] = [];
    const client = {
      send: async (command: EncryptCommand | DecryptCommand) => {
        sent.push(command);
        if (command instanceof EncryptCommand) return { CiphertextBlob: Buffer.from('sealed!') };
        return { Plaintext: Buffer.from('the secret') };
      },
    };
    const sealer = new KmsSealer(client as never, 'arn:aws:kms:key/1');
    const sealed = await sealer.seal('the secret', { accessKeyId: 'A' });
    expect(sealed).toBe(`kms:${Buffer.from('sealed!').toString('base64')}`);
    expect(await sealer.open(sealed, { accessKeyId: 'A' })).toBe('the secret');
    expect(sent.map((c) => (c as EncryptCommand).input)).toEqual([
      {
        KeyId: 'arn:aws:kms:key/1',
        Plaintext: Buffer.from('the secret'),
        EncryptionContext: { accessKeyId: 'A' },
      },
      {
        KeyId: 'arn:aws:kms:key/1',
        CiphertextBlob: Buffer.from('sealed!'),
        EncryptionContext: { accessKeyId: 'A' },
      },
    ]);
    const down = new KmsSealer(
      {
        send: async () => Promise.reject(Object.assign(new Error('slow'), { name: 'ThrottlingException' })),
      } as never,
      'k',
    );
    await expect(down.open(sealed, {})).rejects.toBeInstanceOf(DependencyUnavailable);
  });
});

describe('the sealer configuration', () => {
  it('needs the key of the sealer it names', () => {
    expect(parseSealerConfig({ ACCESS_KEY_SEALER: 'kms', KMS_KEY_ID: 'k' })).toEqual({
      kind: 'kms',
      keyId: 'k',
    });
    expect(parseSealerConfig({ ACCESS_KEY_SEALER: 'local', LOCAL_SEAL_KEY_FILE: 'f' })).toEqual({
      kind: 'local',
      keyFile: 'f',
    });
    expect(() => parseSealerConfig({ ACCESS_KEY_SEALER: 'kms', KMS_KEY_ID: '' })).toThrow(/KMS_KEY_ID/);
    expect(() => parseSealerConfig({})).toThrow(/ACCESS_KEY_SEALER/);
  });
});

describe('access keys', () => {
  const setup = () => {
    const memory = memoryDeps();
    const { sealer, counted } = countingSealer(new LocalSealer(keyFile));
    return { ...memory, deps: { ...memory.deps, sealer }, counted };
  };

  it('are stored sealed, listed newest first, and counted against a quota', async () => {
    const { deps, store } = setup();
    const first = await createAccessKey(deps, { projectId: 'p', role: 'viewer' });
    const second = await createAccessKey(deps, { projectId: 'p', role: 'admin', description: 'ops' });
    expect(JSON.stringify(store.items('control'))).not.toContain(first.secretKey);
    expect((await listAccessKeys(deps, { projectId: 'p' })).map((k) => k.accessKeyId)).toEqual(
      expect.arrayContaining([first.key.accessKeyId, second.key.accessKeyId]),
    );
    expect(await listAccessKeys(deps, { projectId: 'q' })).toEqual([]);
    for (let i = 2; i < ACCESS_KEY_QUOTA; i++)
      await createAccessKey(deps, { projectId: 'p', role: 'viewer' });
    await expect(createAccessKey(deps, { projectId: 'p', role: 'viewer' })).rejects.toMatchObject({
      code: 'GES.0001',
    });
    await deleteAccessKey(deps, { projectId: 'p', accessKeyId: first.key.accessKeyId });
    await expect(createAccessKey(deps, { projectId: 'p', role: 'viewer' })).resolves.toBeDefined();
  });

  it("cannot be disabled or deleted through another project's path", async () => {
    const { deps } = setup();
    const { key } = await createAccessKey(deps, { projectId: 'p', role: 'viewer' });
    for (const change of [disableAccessKey, deleteAccessKey]) {
      await expect(change(deps, { projectId: 'q', accessKeyId: key.accessKeyId })).rejects.toMatchObject({
        code: 'GES.7049',
      });
    }
    expect((await deps.accessKeys.get(key.accessKeyId))?.status).toBe('active');
  });

  it('are read on every request but opened once a minute', async () => {
    const { deps, counted, advance } = setup();
    const { key, secretKey } = await createAccessKey(deps, { projectId: 'p', role: 'viewer' });
    const resolve = accessKeyResolver(deps);
    for (let i = 0; i < 5; i++) expect(await (await resolve(key.accessKeyId))?.secret()).toBe(secretKey);
    expect(counted.opened).toBe(1);
    advance(61_000);
    await (await resolve(key.accessKeyId))?.secret();
    expect(counted.opened).toBe(2);
    await disableAccessKey(deps, { projectId: 'p', accessKeyId: key.accessKeyId });
    expect((await resolve(key.accessKeyId))?.status).toBe('disabled');
    await deleteAccessKey(deps, { projectId: 'p', accessKeyId: key.accessKeyId });
    expect(await resolve(key.accessKeyId)).toBeUndefined();
  });
});

describe('authentication by AK/SK signature', () => {
  it('gives the key its project and role, and refuses a disabled, unknown or badly signed key with a reason', async () => {
    const memory = memoryDeps();
    const deps = { ...memory.deps, sealer: new LocalSealer(keyFile) };
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const authenticate = createAuthenticator(
      { AUTH_PUBLIC_KEY: await exportSPKI(publicKey) },
      { accessKeys: accessKeyResolver(deps), clock: deps.clock },
    );
    const { key, secretKey } = await createAccessKey(deps, { projectId: 'p', role: 'operator' });
    const event = (credentials: { accessKey: string; secretKey: string }, at = deps.clock.now()) => {
      const headers = signRequest(
        credentials,
        { method: 'GET', path: '/v2/p/graphs', query: 'limit=1', headers: { host: 'h' }, body: '' },
        at,
      );
      return {
        rawPath: '/v2/p/graphs',
        rawQueryString: 'limit=1',
        headers,
        requestContext: { http: { method: 'GET' } },
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2;
    };
    const mine = { accessKey: key.accessKeyId, secretKey };
    const why = (e: APIGatewayProxyEventV2) =>
      authenticate(e).then(
        (p) => p,
        (err: Error) => `${err.name}: ${err.message}`,
      );
    expect(await why(event(mine))).toEqual({
      projectId: 'p',
      roles: ['operator'],
      accessKeyId: key.accessKeyId,
    });
    expect(await why(event({ ...mine, secretKey: 'wrong' }))).toBe(
      'Unauthenticated: the signature does not match the request',
    );
    expect(await why(event(mine, deps.clock.now() - 16 * 60_000))).toMatch(
      /^Unauthenticated: the signature has expired/,
    );
    expect(await why(event({ accessKey: 'NOSUCHKEY00000000000', secretKey }))).toBe(
      'Unauthenticated: the access key is unknown',
    );
    const headerless = { ...event(mine), headers: { ...event(mine).headers, 'x-sdk-date': sdkDate(0) } };
    expect(await why(headerless as APIGatewayProxyEventV2)).toMatch(/expired/);
    await disableAccessKey(deps, { projectId: 'p', accessKeyId: key.accessKeyId });
    expect(await why(event(mine))).toBe('Unauthenticated: the access key is disabled');
    const tokensOnly = createAuthenticator({ AUTH_PUBLIC_KEY: await exportSPKI(publicKey) });
    await expect(tokensOnly(event(mine))).rejects.toThrow('AK/SK signatures are not accepted here');
  });

  it('verifies a body API Gateway hands over base64-encoded, and answers an outage as one, not as a 401', async () => {
    const memory = memoryDeps();
    const deps = { ...memory.deps, sealer: new LocalSealer(keyFile) };
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const { key, secretKey } = await createAccessKey(deps, { projectId: 'p', role: 'operator' });
    const body = '{"backup_name":"nightly ü"}';
    const request = {
      method: 'POST',
      path: '/v2/p/graphs/g/backups',
      query: '',
      headers: { host: 'h' },
      body,
    };
    const headers = signRequest({ accessKey: key.accessKeyId, secretKey }, request, deps.clock.now());
    const event = {
      rawPath: request.path,
      rawQueryString: '',
      headers,
      body: Buffer.from(body, 'utf8').toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST' } },
    } as unknown as APIGatewayProxyEventV2;
    const env = { AUTH_PUBLIC_KEY: await exportSPKI(publicKey) };
    const authenticate = createAuthenticator(env, { accessKeys: accessKeyResolver(deps), clock: deps.clock });
    expect(await authenticate(event)).toMatchObject({ projectId: 'p', accessKeyId: key.accessKeyId });
    const down = createAuthenticator(env, {
      accessKeys: async () => {
        throw new DependencyUnavailable('the key store');
      },
      clock: deps.clock,
    });
    await expect(down(event)).rejects.toBeInstanceOf(DependencyUnavailable);
  });
});
