import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameParser, frameHeader, PeerResetSignal, RESET_MARKER } from '../../src/transport/frame-parser.js';
import { FrameBufferPool } from '../../src/transport/frame-pool.js';
import { FrameReader } from '../../src/transport/frame-reader.js';

/** What the kernel does with onread: copies up to `target.length` bytes into the target. */
function readAll(reader: FrameReader, stream: Uint8Array, readSizes: readonly number[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const target = reader.target();
    const n = Math.min(target.length, readSizes[i % readSizes.length]!, stream.length - at);
    target.set(stream.subarray(at, at + n));
    at += n;
    frames.push(...reader.read(n));
  }
  return frames;
}

function framed(bodies: readonly Uint8Array[]): Uint8Array {
  const parts = bodies.flatMap((body) => [frameHeader(body.length), body]);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const body = fc.oneof(
  fc.uint8Array({ maxLength: 100 }),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255)),
);

describe('reading frames straight into chosen buffers (TCP onread)', () => {
  it('yields exactly the frames sent, however the reads are cut, and they stay intact after later reads', () => {
    fc.assert(
      fc.property(fc.array(body, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }), (bodies, readSizes) => {
        const frames = readAll(new FrameReader(1 << 20), framed(bodies), readSizes);
        expect(frames.length).toBe(bodies.length);
        // Compared only after every read: a frame that still pointed into the reused scratch
        // buffer would have been overwritten by now.
        frames.forEach((frame, i) => expect(Buffer.from(frame).equals(Buffer.from(bodies[i]!))).toBe(true));
      }),
      { numRuns: 150 },
    );
  });

  it('small frames: whole ones in a read, a header alone at the end of a read, and a frame cut after its header', () => {
    const reader = new FrameReader(1 << 20);
    const bodies = [[1], [2, 2], [3, 3, 3], [4, 4, 4, 4], [5]].map((b) => Uint8Array.from(b));
    const stream = framed(bodies);
    // Two whole frames and the next one's header; then its body and the next frame's header cut
    // in two; then the rest.
    const cuts = [5 + 6 + 4, 3 + 2, stream.length - 20];
    const frames = readAll(reader, stream, cuts);
    expect(frames.map((f) => [...f])).toEqual(bodies.map((b) => [...b]));
    expect(frames.every((f) => f.constructor === Uint8Array)).toBe(true);
  });

  it('reads a big frame body in place: once a 32nd of it is in, the kernel is offered the frame itself, 64 KiB at a time', () => {
    const reader = new FrameReader(1 << 20);
    const big = new Uint8Array(300_000).fill(9);
    const stream = framed([big]);
    const first = reader.target();
    first.set(stream.subarray(0, 1000));
    expect(reader.read(1000)).toEqual([]);
    // 996 bytes of 300,000 arrived: room for a 32nd of the frame, not for all of it.
    expect(reader.target().buffer.byteLength).toBe(Math.ceil(300_000 / 32));
    let at = 1000;
    while (reader.target().buffer.byteLength < 300_000) {
      const target = reader.target();
      target.set(stream.subarray(at, at + target.length));
      at += target.length;
      expect(reader.read(target.length)).toEqual([]);
    }
    const target = reader.target();
    expect(target.length).toBe(64 * 1024);
    target.set(stream.subarray(at, at + target.length));
    at += target.length;
    expect(reader.read(target.length)).toEqual([]);
    expect(reader.target().byteOffset).toBe(target.byteOffset + target.length);
    const [frame] = readAll(reader, stream.subarray(at), [1 << 20]);
    expect(frame?.buffer).toBe(target.buffer); // the frame is the buffer read into, not a copy of it
    expect(reader.buffered).toBe(0);
  });

  it('an announced size alone allocates nothing big: the frame\'s buffer stays within 32 times what arrived (rounded up to the pool\'s 4 KiB)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20_000, max: 8 << 20 }), fc.array(fc.integer({ min: 1024, max: 70_000 }), { minLength: 1, maxLength: 8 }), (size, readSizes) => {
        // A pool of its own with nothing released: every buffer here is newly allocated.
        const reader = new FrameReader(8 << 20, new FrameBufferPool());
        const scratch = reader.target().buffer;
        const header = frameHeader(size);
        reader.target().set(header);
        expect(reader.read(4)).toEqual([]);
        let received = 0;
        for (let i = 0; received < size; i++) {
          const target = reader.target();
          if (target.buffer !== scratch) expect(target.buffer.byteLength).toBeLessThanOrEqual(Math.max(16 * 1024, Math.ceil((32 * received) / 4096) * 4096));
          const n = Math.min(target.length, readSizes[i % readSizes.length]!, size - received);
          received += n;
          const frames = reader.read(n);
          if (received === size) expect(frames.map((f) => f.length)).toEqual([size]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a lowered limit refuses the frame already being read when it is over it', () => {
    const reader = new FrameReader(1 << 20);
    reader.target().set(frameHeader(100_000));
    expect(reader.read(4)).toEqual([]);
    expect(() => reader.setLimit(1024)).toThrow(RangeError);
    const small = new FrameReader(1 << 20);
    small.setLimit(1024);
    small.target().set(frameHeader(1025));
    expect(() => small.read(4)).toThrow(RangeError);
    small.setLimit(1 << 20);
    const stream = framed([new Uint8Array(50_000)]);
    expect(readAll(new FrameReader(1 << 20), stream, [7, 65_536]).map((f) => f.length)).toEqual([50_000]);
  });

  it('refuses an oversized frame at its header and reports a peer reset marker', () => {
    const reader = new FrameReader(1024);
    reader.target().set(frameHeader(1025));
    expect(() => reader.read(4)).toThrow(RangeError);
    const other = new FrameReader(1024);
    other.target().set(frameHeader(RESET_MARKER));
    expect(() => other.read(4)).toThrow(PeerResetSignal);
  });
});

describe('frames from socket chunks (accepted TCP connections)', () => {
  it('yields exactly the frames sent as plain Uint8Arrays, however the chunks are cut — frames joined from several chunks in memory of their own', () => {
    fc.assert(
      fc.property(fc.array(body, { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }), (bodies, cuts) => {
        // A pool of its own with nothing released: every join is in new memory.
        const parser = new FrameParser(1 << 20, new FrameBufferPool());
        const stream = framed(bodies);
        const chunks: Uint8Array[] = [];
        const frames: Uint8Array[] = [];
        for (let at = 0, i = 0; at < stream.length; i++) {
          // Node hands socket chunks in as Buffers; what comes out must never be one.
          const chunk = Buffer.from(stream.subarray(at, at + cuts[i % cuts.length]!));
          chunks.push(chunk);
          frames.push(...parser.push(chunk));
          at += chunk.length;
        }
        expect(frames.length).toBe(bodies.length);
        expect(parser.buffered).toBe(0);
        frames.forEach((frame, i) => {
          expect(frame.constructor).toBe(Uint8Array);
          expect(Buffer.from(frame).equals(Buffer.from(bodies[i]!))).toBe(true);
          // A frame copied together owns its memory: no chunk shares it, and nothing else is in it
          // (a big one's is lent by the pool, rounded up to its 4 KiB).
          if (!chunks.some((chunk) => chunk.buffer === frame.buffer)) {
            expect(frame.byteOffset).toBe(0);
            expect(frame.buffer.byteLength).toBeLessThan(frame.length + 4096);
          }
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe('whole frames found in place in a reader\'s own buffer (FrameParser.wholeFrameAt)', () => {
  it('gives the body length of a whole frame at an offset, -1 for part of one or while the parser holds bytes, and throws at a bad header', () => {
    const parser = new FrameParser(1024);
    const bytes = framed([Uint8Array.of(1, 2, 3), Uint8Array.of(4), new Uint8Array(0), Uint8Array.of(5, 5)]);
    expect(parser.wholeFrameAt(bytes, 0, bytes.length)).toBe(3);
    expect(parser.wholeFrameAt(bytes, 7, bytes.length)).toBe(1);
    expect(parser.wholeFrameAt(bytes, 12, bytes.length)).toBe(0);
    expect(parser.wholeFrameAt(bytes, 16, bytes.length)).toBe(2);
    expect(parser.wholeFrameAt(bytes, 16, bytes.length - 1)).toBe(-1); // the body cut short
    expect(parser.wholeFrameAt(bytes, 16, 19)).toBe(-1); // the header cut short
    expect(parser.wholeFrameAt(bytes, 22, bytes.length)).toBe(-1); // nothing left
    // It only looks: the parser holds nothing after it.
    expect(parser.buffered).toBe(0);
    // Holding the first bytes of a frame, the parser owns what follows: no frame starts at 0.
    expect(parser.push(bytes.slice(0, 2))).toEqual([]);
    expect(parser.wholeFrameAt(bytes, 0, bytes.length)).toBe(-1);
    expect(parser.push(bytes.slice(2)).map((f) => [...f])).toEqual([[1, 2, 3], [4], [], [5, 5]]);
    expect(parser.wholeFrameAt(bytes, 0, bytes.length)).toBe(3);
    expect(() => parser.wholeFrameAt(frameHeader(1025), 0, 4)).toThrow(RangeError);
    expect(() => parser.wholeFrameAt(frameHeader(RESET_MARKER), 0, 4)).toThrow(PeerResetSignal);
  });
});

describe('bytes from a peer that has not authenticated (a 1 KiB limit)', () => {
  const LIMIT = 1024;

  it('random bytes, however cut, yield frames within the limit or a typed refusal, and never buffer past one frame', () => {
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      // Mostly well-formed small frames, so parsing goes deep before anything goes wrong.
      fc.array(fc.uint8Array({ maxLength: 1200 }), { maxLength: 6 }).map((bodies) => framed(bodies)),
    );
    fc.assert(
      fc.property(stream, fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 6 }), (bytes, cuts) => {
        for (const mode of ['reader', 'parser'] as const) {
          const reader = new FrameReader(8 << 20);
          reader.setLimit(LIMIT);
          const parser = new FrameParser(LIMIT);
          try {
            if (mode === 'reader') {
              for (const frame of readAll(reader, bytes, cuts)) expect(frame.length).toBeLessThanOrEqual(LIMIT);
              expect(reader.buffered).toBeLessThan(LIMIT + 4);
            } else {
              for (let at = 0, i = 0; at < bytes.length; i++) {
                const n = cuts[i % cuts.length]!;
                for (const frame of parser.push(bytes.slice(at, at + n))) expect(frame.length).toBeLessThanOrEqual(LIMIT);
                expect(parser.buffered).toBeLessThan(LIMIT + 4);
                at += n;
              }
            }
          } catch (err) {
            expect(err instanceof RangeError || err instanceof PeerResetSignal, String(err)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a frame trickled in a byte at a time arrives intact', () => {
    // Past 64 tiny held chunks the parser merges them (one object per byte would cost far more than the byte).
    const parser = new FrameParser(LIMIT);
    const body = Uint8Array.from({ length: 1000 }, (_, i) => i & 255);
    const bytes = framed([body]);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...parser.push(bytes.slice(i, i + 1)));
    expect(frames).toHaveLength(1);
    expect(Buffer.from(frames[0]!).equals(Buffer.from(body))).toBe(true);
  });
});
