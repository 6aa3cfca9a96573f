import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretSealer } from '../core/ports.js';
import { translateAwsError } from './aws-errors.js';

const PREFIX = 'kms:';

/**
 * Secrets sealed by AWS KMS under one symmetric key, bound to their owner by the encryption context
 * (CloudTrail shows it on every decrypt). A secret key is far below KMS's 4 KB limit, so KMS encrypts
 * it directly: no data key to keep.
 */
export class KmsSealer implements SecretSealer {
  constructor(
    private readonly client: Pick<KMSClient, 'send'>,
    private readonly keyId: string,
  ) {}

  async seal(secret: string, context: Record<string, string>): Promise<string> {
    try {
      const out = await this.client.send(
        new EncryptCommand({
          KeyId: this.keyId,
          Plaintext: Buffer.from(secret, 'utf8'),
          EncryptionContext: context,
        }),
      );
      if (!out.CiphertextBlob) throw new Error('KMS returned no ciphertext');
      return PREFIX + Buffer.from(out.CiphertextBlob).toString('base64');
    } catch (e) {
      throw translateAwsError('KMS', e);
    }
  }

  async open(sealed: string, context: Record<string, string>): Promise<string> {
    if (!sealed.startsWith(PREFIX)) throw new Error('not sealed by KMS');
    try {
      const out = await this.client.send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: Buffer.from(sealed.slice(PREFIX.length), 'base64'),
          EncryptionContext: context,
        }),
      );
      if (!out.Plaintext) throw new Error('KMS returned no plaintext');
      return Buffer.from(out.Plaintext).toString('utf8');
    } catch (e) {
      throw translateAwsError('KMS', e);
    }
  }
}
