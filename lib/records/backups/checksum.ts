import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through stream that takes the SHA-256 and the byte count of what flows through it. */
export function checksummer() {
  const sha256 = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: sha256.digest('hex'), bytes }) };
}
