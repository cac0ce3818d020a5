/**
 * What an upload reads from: a `Uint8Array`, an async iterable of byte chunks or a web
 * `ReadableStream`, read as one sequence of bytes that is cut into segments without ever
 * holding more than the bytes a segment is being encrypted from.
 */
import { throwIfAborted } from '../core/abort.js';
import { InvalidArgumentError } from '../core/errors.js';

/** Anything an upload accepts as its data. */
export type UploadData = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

function isReadableStream(data: unknown): data is ReadableStream<Uint8Array> {
  return typeof data === 'object' && data !== null && typeof (data as ReadableStream).getReader === 'function';
}

async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Stopped early (failure or cancel): tell the producer, so it stops producing.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The chunks of `data`, in order. */
export function chunksOf(data: UploadData): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (data instanceof Uint8Array) return [data];
  if (isReadableStream(data)) return readStream(data);
  if (typeof data === 'object' && data !== null && (Symbol.asyncIterator in data || Symbol.iterator in data)) return data;
  throw new InvalidArgumentError('"data" expected a Uint8Array, an (async) iterable of Uint8Arrays or a ReadableStream');
}

/**
 * Reads a byte source with a small look-ahead: enough to tell whether what is left fits inline,
 * and whether anything is left at all, before a segment is begun.
 */
export class ByteReader {
  readonly #iterator: Iterator<Uint8Array> | AsyncIterator<Uint8Array>;
  readonly #signal: AbortSignal | undefined;
  /** Chunks read but not yet taken, oldest first. */
  #pending: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #consumed = 0;

  constructor(data: UploadData, signal?: AbortSignal) {
    const chunks = chunksOf(data);
    this.#iterator = Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
    this.#signal = signal;
  }

  /** Bytes read ahead and not yet taken. */
  get buffered(): number {
    return this.#buffered;
  }

  /** True once the source has ended (what is buffered is all that is left). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes handed out by {@link segment} and {@link takeAll} so far. */
  get consumed(): number {
    return this.#consumed;
  }

  /** True when nothing is left. */
  get exhausted(): boolean {
    return this.#ended && this.#buffered === 0;
  }

  /** Reads until at least `bytes` are buffered or the source ends. */
  async fill(bytes: number): Promise<void> {
    while (this.#buffered < bytes && !this.#ended) await this.#readOne();
  }

  /** Everything buffered, as one array (call only when {@link ended}). */
  takeAll(): Uint8Array {
    const out = new Uint8Array(this.#buffered);
    let at = 0;
    for (const chunk of this.#pending) {
      out.set(chunk, at);
      at += chunk.length;
    }
    this.#pending = [];
    this.#consumed += this.#buffered;
    this.#buffered = 0;
    return out;
  }

  /** The next `limit` bytes (fewer at the end of the source), chunk by chunk as they are read. */
  async *segment(limit: number): AsyncGenerator<Uint8Array, void, undefined> {
    let left = limit;
    while (left > 0) {
      if (this.#buffered === 0) {
        if (this.#ended) return;
        await this.#readOne();
        continue;
      }
      const chunk = this.#pending[0]!;
      const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
      if (part === chunk) this.#pending.shift();
      else this.#pending[0] = chunk.subarray(left);
      this.#buffered -= part.length;
      this.#consumed += part.length;
      left -= part.length;
      yield part;
    }
  }

  /** Stops reading: a stream source is told to stop producing. */
  async close(): Promise<void> {
    this.#pending = [];
    this.#buffered = 0;
    if (!this.#ended) {
      this.#ended = true;
      await this.#iterator.return?.();
    }
  }

  async #readOne(): Promise<void> {
    throwIfAborted(this.#signal);
    const next = await this.#iterator.next();
    throwIfAborted(this.#signal);
    if (next.done) {
      this.#ended = true;
      return;
    }
    const chunk: unknown = next.value;
    if (!(chunk instanceof Uint8Array)) throw new InvalidArgumentError(`"data" chunks must be Uint8Arrays, got ${typeof chunk}`);
    if (chunk.length === 0) return;
    this.#pending.push(chunk);
    this.#buffered += chunk.length;
  }
}
