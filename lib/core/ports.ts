import type { Readable } from 'node:stream';
import { z } from 'zod';

/**
 * The ports besides the store (`store.ts`): object storage, the job queue, the event bus and the
 * sealer of secrets. Each is
 * reduced to what the service does with it; `lib/adapters/` holds the AWS implementations.
 */

/** The object storage the backups live in. */
export type BlobStore = {
  /** Streams a body of unknown length to a key (multipart when large). */
  upload(key: string, body: Readable, contentType: string): Promise<void>;
  put(key: string, body: string, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  /** The object as a stream, for bodies too large to hold; undefined when there is none. */
  stream(key: string): Promise<Readable | undefined>;
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  deletePrefix(prefix: string): Promise<number>;
  /** Copies an object of another bucket (or this one) to a key of this one, inside the storage. */
  copyFrom(source: { bucket: string; key: string }, key: string): Promise<void>;
  /** A GET link that works without credentials until it expires. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
  /** The same store on another bucket (export and import paths). */
  onBucket(bucket: string): BlobStore;
};

/**
 * What goes on the queue for the worker: ids only, the job record says the rest. A job that fans out
 * also sends `step` messages, each one part of the work, fenced by the run that sent it; the job's
 * kind parses the rest of its step with its own schema.
 */
export const jobMessageSchema = z.strictObject({
  projectId: z.string().min(1),
  jobId: z.string().min(1),
  step: z.looseObject({ runId: z.string().min(1) }).optional(),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

export type JobQueue = {
  /** The API's request id travels with the message, so one id links the API and the worker logs. */
  send(message: JobMessage, requestId?: string): Promise<void>;
  /** Sends several messages, ten to a batch; a message the queue refuses makes the call throw. */
  sendAll(messages: JobMessage[], requestId?: string): Promise<void>;
  /**
   * Keeps delivered messages (by receipt handle) from coming back for `seconds` from now: the worker's
   * heartbeat, and its backoff after a fault. Best effort: a handle it cannot change is reported.
   */
  hideFor(receiptHandles: string[], seconds: number): Promise<{ failed: string[] }>;
};

/** The source of every event the service publishes, and of the requests it accepts. */
export const EVENT_SOURCE = 'ges.backup';

export type EventPublisher = { publish(detailType: string, detail: Record<string, unknown>): Promise<void> };

/**
 * Seals a secret that must be kept but never shown again (an access key's secret key): KMS on AWS,
 * AES-256-GCM under a local key file on the local stage. `context` binds the sealed value to its
 * owner (the access key and its project): opened under another context, it fails.
 */
export type SecretSealer = {
  seal(secret: string, context: Record<string, string>): Promise<string>;
  open(sealed: string, context: Record<string, string>): Promise<string>;
};
