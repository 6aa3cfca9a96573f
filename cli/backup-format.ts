/**
 * The one door from the CLI to the service's backup format: everything of lib/ that the CLI uses is
 * re-exported here, so that when lib/ moves only this file changes.
 */
export {
  ContentDigest,
  canonicalLine,
  FORMAT_VERSION,
  MANIFEST_FILE,
  type Manifest,
  manifestSchema,
  type PartInfo,
} from '../lib/records/backups/format.js';
export { edgeSchema, type GraphElement, vertexSchema } from '../lib/records/graphs/model.js';
