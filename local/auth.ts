import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import type { Role } from '../lib/core/roles.js';
import { PROJECT_ROOT } from './resources.js';

/**
 * The local stack's own identity provider: an ES256 key pair kept in .local/auth (never committed),
 * made on first use. The functions get the public half (AUTH_PUBLIC_KEY); `npm run token` and the
 * tests sign with the private half.
 */
const KEY_DIR = join(PROJECT_ROOT, '.local', 'auth');
const PRIVATE_KEY = join(KEY_DIR, 'private-key.pem');
const PUBLIC_KEY = join(KEY_DIR, 'public-key.pem');

export async function localKeys(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  try {
    return {
      publicKeyPem: await readFile(PUBLIC_KEY, 'utf8'),
      privateKeyPem: await readFile(PRIVATE_KEY, 'utf8'),
    };
  } catch {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const keys = { publicKeyPem: await exportSPKI(publicKey), privateKeyPem: await exportPKCS8(privateKey) };
    await mkdir(KEY_DIR, { recursive: true });
    // `wx`: if another process (a test run beside `npm start`) made the pair meanwhile, keep its.
    try {
      await writeFile(PRIVATE_KEY, keys.privateKeyPem, { flag: 'wx', mode: 0o600 });
      await writeFile(PUBLIC_KEY, keys.publicKeyPem, { flag: 'wx' });
      return keys;
    } catch {
      return localKeys();
    }
  }
}

export type TokenRequest = { projectId: string; roles?: Role[]; expiresIn?: string };

/** A token the local stack accepts: `project_id`, `roles` and an expiry (default one hour). */
export async function issueToken({
  projectId,
  roles = ['admin'],
  expiresIn = '1h',
}: TokenRequest): Promise<string> {
  const { privateKeyPem } = await localKeys();
  const key = await importPKCS8(privateKeyPem, 'ES256');
  return new SignJWT({ project_id: projectId, roles })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}

/**
 * The local stage's key for sealing access keys' secrets (LOCAL_SEAL_KEY_FILE): 32 random bytes in
 * .local/seal/key (never committed), made on first use. KMS plays this part on AWS.
 */
export async function localSealKeyFile(): Promise<string> {
  const file = join(PROJECT_ROOT, '.local', 'seal', 'key');
  await mkdir(join(PROJECT_ROOT, '.local', 'seal'), { recursive: true });
  // `wx`: a stack started beside this one may have made it already; then its key is the key.
  await writeFile(file, randomBytes(32), { flag: 'wx', mode: 0o600 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  return file;
}
