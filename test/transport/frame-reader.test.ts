import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameHeader, PeerResetSignal, RESET_MARKER } from '../../src/transport/frame-parser.js';
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

  it('reads a big frame body in place: the kernel is offered the frame itself, 64 KiB at a time', () => {
    const reader = new FrameReader(1 << 20);
    const big = new Uint8Array(300_000).fill(9);
    const stream = framed([big]);
    const first = reader.target();
    first.set(stream.subarray(0, 1000));
    expect(reader.read(1000)).toEqual([]);
    const target = reader.target();
    expect(target.length).toBe(64 * 1024);
    target.set(stream.subarray(1000, 1000 + target.length));
    expect(reader.read(target.length)).toEqual([]);
    expect(reader.target().byteOffset).toBe(target.byteOffset + target.length);
    expect(readAll(reader, stream.subarray(1000 + target.length), [1 << 20])).toHaveLength(1);
    expect(reader.buffered).toBe(0);
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
