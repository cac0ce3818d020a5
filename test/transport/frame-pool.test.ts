/**
 * Big received frames live in memory lent by a pool, and come back only when their consumer says
 * so (`releaseFrame`): a frame still held is never written again, however the reads are cut and
 * whichever other frames were handed back meanwhile (issue 17).
 */
import fc from 'fast-check';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceExhaustedError } from '../../src/core/errors.js';
import { FrameParser, frameHeader } from '../../src/transport/frame-parser.js';
import { FrameBufferPool, framePool, releaseFrame } from '../../src/transport/frame-pool.js';
import { FrameReader } from '../../src/transport/frame-reader.js';
import { tcpTransport, type Connection, type Listener } from '../../src/transport/index.js';

function framed(bodies: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bodies.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const body of bodies) {
    out.set(frameHeader(body.length), at);
    out.set(body, at + 4);
    at += 4 + body.length;
  }
  return out;
}

/** A body of `size` bytes that says which frame it is. */
function body(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

describe('FrameBufferPool', () => {
  it('lends a released buffer once, ignores a second release and memory it never lent', () => {
    const pool = new FrameBufferPool(4);
    expect(pool.take(100_000)).toBeUndefined();
    const a = pool.allocate(100_000);
    expect(a.length).toBe(100_000);
    expect(pool.lent(a)).toBe(true);
    expect(pool.release(a.subarray(10, 20))).toBe(true); // any view of it will do
    expect(pool.release(a)).toBe(false); // already back
    expect(pool.release(new Uint8Array(100_000))).toBe(false); // never lent
    expect(pool.freeCount).toBe(1);
    const b = pool.take(99_000);
    expect(b?.buffer).toBe(a.buffer);
    expect(b?.length).toBe(99_000);
    expect(pool.take(99_000)).toBeUndefined(); // given back twice, still lent out once
  });

  it('keeps at most its limit of free buffers, and none far larger than asked for', () => {
    const pool = new FrameBufferPool(2);
    const lent = [pool.allocate(300_000), pool.allocate(300_000), pool.allocate(300_000)];
    for (const view of lent) pool.release(view);
    expect(pool.freeCount).toBe(2);
    expect(pool.take(20_000)).toBeUndefined();
    expect(pool.take(300_000)).toBeDefined();
  });
});

describe('FrameReader with a pool', () => {
  it('yields the frames sent, byte-identical, however the reads are cut; a frame held is never overwritten, whatever was handed back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 16 * 1024, max: 300_000 })), release: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 6 }),
        (specs, readSizes) => {
          const pool = new FrameBufferPool(4);
          const reader = new FrameReader(1 << 20, pool);
          const bodies = specs.map((spec, i) => body(spec.size, i));
          const stream = framed(bodies);
          const held: Array<{ frame: Uint8Array; index: number }> = [];
          let received = 0;
          for (let i = 0, at = 0; at < stream.length; i++) {
            const target = reader.target();
            const n = Math.min(target.length, readSizes[i % readSizes.length]!, stream.length - at);
            target.set(stream.subarray(at, at + n));
            at += n;
            for (const frame of reader.read(n)) {
              const index = received++;
              // Byte-identical when it arrives...
              expect(Buffer.compare(frame, bodies[index]!)).toBe(0);
              if (specs[index]!.release) pool.release(frame);
              else held.push({ frame, index });
            }
          }
          expect(received).toBe(bodies.length);
          // ...and every frame not handed back is still intact after all the reads since.
          for (const { frame, index } of held) expect(Buffer.compare(frame, bodies[index]!)).toBe(0);
          // No two frames held share memory.
          const pooled = held.filter(({ frame }) => pool.lent(frame)).map(({ frame }) => frame.buffer);
          expect(new Set(pooled).size).toBe(pooled.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('FrameParser (accepted TLS and WebSocket connections): frames joined from chunks, however cut, stay intact while held, whatever was handed back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 16 * 1024, max: 200_000 })), release: fc.boolean() }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 6 }),
        (specs, cuts) => {
          const pool = new FrameBufferPool(4);
          const parser = new FrameParser(1 << 20, pool);
          const bodies = specs.map((spec, i) => body(spec.size, i + 7));
          const stream = framed(bodies);
          const held: Array<{ frame: Uint8Array; index: number }> = [];
          let received = 0;
          for (let i = 0, at = 0; at < stream.length; i++) {
            const n = Math.min(cuts[i % cuts.length]!, stream.length - at);
            // Fresh chunks, as a socket's 'data' events give them.
            const chunk = stream.slice(at, at + n);
            at += n;
            for (const frame of parser.push(chunk)) {
              const index = received++;
              expect(Buffer.compare(frame, bodies[index]!)).toBe(0);
              if (specs[index]!.release) pool.release(frame);
              else held.push({ frame, index });
            }
          }
          expect(received).toBe(bodies.length);
          for (const { frame, index } of held) expect(Buffer.compare(frame, bodies[index]!)).toBe(0);
          const pooled = held.filter(({ frame }) => pool.lent(frame)).map(({ frame }) => frame.buffer);
          expect(new Set(pooled).size).toBe(pooled.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads a big frame into a buffer handed back by an earlier frame\'s consumer', () => {
    const pool = new FrameBufferPool(4);
    const reader = new FrameReader(1 << 20, pool);
    const feed = (bytes: Uint8Array): Uint8Array[] => {
      const frames: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; ) {
        const target = reader.target();
        const n = Math.min(target.length, bytes.length - at);
        target.set(bytes.subarray(at, at + n));
        at += n;
        frames.push(...reader.read(n));
      }
      return frames;
    };
    const [first] = feed(framed([body(262_400, 1)]));
    expect(pool.lent(first!)).toBe(true);
    pool.release(first!);
    const [second] = feed(framed([body(262_300, 2)]));
    expect(second!.buffer).toBe(first!.buffer);
    expect(Buffer.compare(second!, body(262_300, 2))).toBe(0);
    const [third] = feed(framed([body(262_300, 3)])); // the second was not handed back
    expect(third!.buffer).not.toBe(second!.buffer);
    expect(Buffer.compare(second!, body(262_300, 2))).toBe(0);
  });
});

describe('accepted TCP connections', () => {
  let listener: Listener | undefined;
  const open: Connection[] = [];
  afterEach(async () => {
    for (const connection of open.splice(0)) connection.reset();
    await listener?.close();
    listener = undefined;
  });

  /** A listener whose accepted connections arrive in order from `next()`. */
  async function listen(options: Parameters<typeof tcpTransport>[0] = {}): Promise<{ transport: ReturnType<typeof tcpTransport>; next: () => Promise<Connection> }> {
    const transport = tcpTransport(options);
    const waiting: Array<(connection: Connection) => void> = [];
    const early: Connection[] = [];
    listener = await transport.listen('127.0.0.1:0', (connection) => {
      open.push(connection);
      const take = waiting.shift();
      if (take) take(connection);
      else early.push(connection);
    });
    const next = (): Promise<Connection> => (early.length > 0 ? Promise.resolve(early.shift()!) : new Promise((resolve) => waiting.push(resolve)));
    return { transport, next };
  }

  it('read big frames into pooled memory, like dialed ones, byte-identical', async () => {
    const { transport, next } = await listen();
    const client = await transport.dial(listener!.address);
    open.push(client);
    const server = await next();
    const bodies = [body(262_500, 1), body(10, 2), body(1 << 20, 3), body(200_000, 4)];
    for (const b of bodies) await client.send(b);
    for (const [i, b] of bodies.entries()) {
      const frame = await server.receive();
      expect(Buffer.compare(frame!, b)).toBe(0);
      // Big frames are read straight into memory lent by the pool (the accepted socket reads
      // with onread); a small one is a copy of its own.
      expect(framePool.lent(frame!)).toBe(i !== 1);
      releaseFrame(frame!);
      expect(framePool.lent(frame!)).toBe(false);
    }
    await client.close();
    expect(await server.receive()).toBeUndefined();
  });

  it('refuse a frame announced over the limit from its header, with ResourceExhaustedError, and close the socket', async () => {
    const { next } = await listen({ maxFrameBytes: 64 * 1024 });
    const raw = net.connect(Number(listener!.address.split(':').at(-1)), '127.0.0.1');
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => {});
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    raw.write(frameHeader(64 * 1024 + 1)); // only the header: nothing of the body is ever sent
    const server = await next();
    await expect(server.receive()).rejects.toBeInstanceOf(ResourceExhaustedError);
    await closed;
  });

  it('a peer closing in the middle of a frame is a broken connection, not a clean end', async () => {
    const { next } = await listen();
    const raw = net.connect(Number(listener!.address.split(':').at(-1)), '127.0.0.1');
    raw.on('error', () => {});
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    raw.end(Buffer.concat([frameHeader(100_000), Buffer.alloc(50_000, 1)]));
    const server = await next();
    await expect(server.receive()).rejects.toThrow(/middle of a frame/);
  });
});
