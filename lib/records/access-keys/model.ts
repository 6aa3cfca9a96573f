import { z } from 'zod';
import type { Role } from '../../core/roles.js';

/**
 * An access key: an id (the `Access=` of an SDK-HMAC-SHA256 signature) and a secret key, issued to a
 * project with one role. The secret is kept sealed (`SecretSealer`), bound to the key and its project;
 * it is shown once, when the key is made.
 */
export type AccessKeyStatus = 'active' | 'disabled';
export type AccessKeyRecord = {
  accessKeyId: string;
  projectId: string;
  role: Role;
  status: AccessKeyStatus;
  description: string;
  sealedSecret: string;
  createdAt: number;
  disabledAt?: number;
};

/** Like Huawei Cloud's: 20 upper-case letters and digits. */
export const accessKeyIdSchema = z.string().regex(/^[A-Z0-9]{20}$/);
/** Access keys a project may hold at once. */
export const ACCESS_KEY_QUOTA = 20;

/** What the sealed secret is bound to: opened for another key or project, it fails. */
export const sealContext = (key: Pick<AccessKeyRecord, 'accessKeyId' | 'projectId'>) => ({
  accessKeyId: key.accessKeyId,
  projectId: key.projectId,
});
