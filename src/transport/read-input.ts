import { FrameReader } from './frame-reader.js';

/**
 * Bytes from a socket created with `onread`: parsed into frames as each read completes (before
 * the reader's scratch buffer is reused), and handed to the connection once it exists.
 */
export class ReadInput {
  readonly #reader: FrameReader;
  #early: Array<Uint8Array[] | Error> = [];
  #sink: ((frames: Uint8Array[] | Error) => void) | undefined;

  constructor(maxFrameBytes: number) {
    this.#reader = new FrameReader(maxFrameBytes);
  }

  get buffered(): number {
    return this.#reader.buffered;
  }

  /** See {@link FrameReader.setLimit}. */
  setLimit(maxFrameBytes: number): void {
    this.#reader.setLimit(maxFrameBytes);
  }

  readonly onread = {
    buffer: (): Uint8Array => this.#reader.target(),
    /** Returns true: flow control stays with pause()/resume(), as for 'data' events. */
    callback: (n: number): boolean => {
      let result: Uint8Array[] | Error;
      try {
        result = this.#reader.read(n);
      } catch (err) {
        result = err as Error;
      }
      if (this.#sink === undefined) this.#early.push(result);
      else this.#sink(result);
      return true;
    },
  };

  attach(sink: (frames: Uint8Array[] | Error) => void): void {
    this.#sink = sink;
    for (const result of this.#early) sink(result);
    this.#early = [];
  }
}
