import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecretSealer } from '../core/ports.js';

const PREFIX = 'local:';

/**
 * The local stage's sealer: AES-256-GCM under a 32-byte key kept in a file (the local stack makes it
 * under .local/, never committed), the context as additional authenticated data. Not for AWS: there
 * the key would sit beside what it protects.
 */
export class LocalSealer implements SecretSealer {
  #key: Promise<Buffer> | undefined;

  constructor(private readonly keyFile: string) {}

  private key(): Promise<Buffer> {
    this.#key ??= readFile(this.keyFile).then((key) => {
      if (key.length !== 32) throw new Error(`${this.keyFile} must hold 32 bytes`);
      return key;
    });
    return this.#key;
  }

  async seal(secret: string, context: Record<string, string>): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.key(), iv);
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return PREFIX + [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64')).join('.');
  }

  async open(sealed: string, context: Record<string, string>): Promise<string> {
    const [iv, tag, ciphertext] = sealed.startsWith(PREFIX)
      ? sealed
          .slice(PREFIX.length)
          .split('.')
          .map((part) => Buffer.from(part, 'base64'))
      : [];
    if (!iv || !tag || !ciphertext) throw new Error('not sealed by the local sealer');
    const decipher = createDecipheriv('aes-256-gcm', await this.key(), iv);
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  }
}

/** The context in a canonical order, so that the same owner always authenticates the same bytes. */
const aad = (context: Record<string, string>) =>
  Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1))), 'utf8');
