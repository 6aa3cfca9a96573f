import { KMSClient } from '@aws-sdk/client-kms';
import { KmsSealer } from '../adapters/kms-sealer.js';
import { LocalSealer } from '../adapters/local-sealer.js';
import { parseSealerConfig } from '../core/config.js';
import type { SecretSealer } from '../core/ports.js';
import { type Authenticator, createAuthenticator } from '../http/authenticate.js';
import { accessKeyResolver } from '../operations/access-keys/access-keys.js';
import type { RecordDeps } from '../runtime/deps.js';

/**
 * The sealer of the access keys' secrets, as configuration says (`ACCESS_KEY_SEALER`): KMS on AWS,
 * the local key file on the local stage. The KMS client is built only where KMS is used.
 */
export function sealerDeps(env: NodeJS.ProcessEnv = process.env): { sealer: SecretSealer } {
  const config = parseSealerConfig(env);
  return {
    sealer:
      config.kind === 'kms'
        ? new KmsSealer(new KMSClient({}), config.keyId)
        : new LocalSealer(config.keyFile),
  };
}

/**
 * What every API function authenticates with: X-Auth-Token, or an AK/SK signature verified against
 * the access keys on the store (one GetItem a request, the opened secret cached for a minute).
 */
export function apiAuthenticator(
  deps: Pick<RecordDeps, 'accessKeys' | 'clock'>,
  sealer: SecretSealer = sealerDeps().sealer,
  env: NodeJS.ProcessEnv = process.env,
): Authenticator {
  return createAuthenticator(env, {
    accessKeys: accessKeyResolver({ accessKeys: deps.accessKeys, sealer, clock: deps.clock }),
    clock: deps.clock,
  });
}
