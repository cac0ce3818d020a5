/** Test data for uplink tests: deterministic pseudo-random bytes, and sources that stream them. */

/** `length` bytes from a xorshift generator seeded with `seed` (same seed, same bytes). */
export function patterned(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 0x9e3779b1) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The bytes as an async iterable of chunks of `chunk` bytes (copies, like a socket would give). */
export async function* inChunks(bytes: Uint8Array, chunk: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += chunk) {
    await Promise.resolve();
    yield bytes.slice(at, at + chunk);
  }
}

/** The bytes as a web ReadableStream of chunks of `chunk` bytes. */
export function asReadableStream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
