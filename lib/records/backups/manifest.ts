import { GesError } from '../../core/errors.js';
import type { BlobStore } from '../../core/ports.js';
import { MANIFEST_FILE, type Manifest, manifestSchema } from './format.js';

/** A backup's manifest, validated; a backup without a valid one does not exist (GES.7040). */
export async function readManifest(blobs: BlobStore, folder: string): Promise<Manifest> {
  const raw = await blobs.get(folder + MANIFEST_FILE);
  if (!raw) throw new GesError('GES.7040', 'The backup has no manifest: it was never completed.');
  let parsed: ReturnType<typeof manifestSchema.safeParse>;
  try {
    parsed = manifestSchema.safeParse(JSON.parse(raw.toString('utf8')));
  } catch {
    throw new GesError('GES.7040', 'The backup manifest is not valid JSON.');
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    throw new GesError(
      'GES.7040',
      `The backup manifest is not valid: ${issue?.message ?? 'unreadable'}${where}.`,
    );
  }
  return parsed.data;
}
