/**
 * The destination's push handler against whatever a source — or a stranger — may send: forged
 * and replayed `begin`s, garbage under the method's name, and random message sequences from the
 * task's own key with hostile paths, a planted link, wrong sizes and wrong digests. Each is
 * refused with a typed error, nothing is written outside the entry, no file appears under a
 * final name unless every byte of it was sent and its SHA-256 matched, and the server keeps
 * serving.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/codec/index.js';
import { ERROR_CODES } from '../../../src/core/errors.js';
import { Identity } from '../../../src/crypto/identity.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { streamMethod } from '../../../src/rpc/method.js';
import { RpcServer } from '../../../src/rpc/server.js';
import { memoryNetwork, type MemoryNetwork } from '../../../src/transport/memory.js';
import { BuiltinPush, pushMessageSchema } from '../../../src/transfer/builtin/methods.js';
import { isPartialOf } from '../../../src/transfer/builtin/paths.js';
import { builtinReceiver, type BuiltinReceiver } from '../../../src/transfer/builtin/receiver.js';
import { formatTaskPublicKey } from '../../../src/transfer/builtin/task-key.js';
import { malformedRequest } from '../rpc/malformed.js';

/** Sends and receives anything under the method's name: the client-side schema check is skipped on purpose. */
const anything: Schema<unknown> = { def: { kind: 'bool' }, expected: 'anything', parse: (value) => value };
const RawPush = streamMethod<unknown, unknown>(BuiltinPush.name, anything, anything);

let net: MemoryNetwork;
let server: RpcServer;
let receiver: BuiltinReceiver;
let root: string;
let inbox: string;
let outside: string;
let nextTask = 1;
const clients: RpcClient[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'handoff-push-prop-'));
  inbox = join(root, 'inbox');
  outside = join(root, 'outside');
  mkdirSync(inbox);
  mkdirSync(outside);
  net = memoryNetwork();
  const identity = Identity.generate();
  server = new RpcServer({ identity });
  await server.listen(net.transport({ host: 'b' }), 'b:1');
  receiver = builtinReceiver({ stateDir: join(root, 'state'), resolveDestination: (p) => join(root, p), endpoint: { address: 'b:1', nodeId: identity.id } }).serve(server);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function clientAs(identity: Identity): RpcClient {
  const client = new RpcClient({ transport: net.transport({ host: `src-${Math.random().toString(36).slice(2)}` }), address: 'b:1', identity });
  clients.push(client);
  return client;
}

/** A task authorized for a fresh key and negotiated, with a link to `outside` planted inside its entry. */
async function authorizedTask(): Promise<{ taskId: number; key: Identity; entry: string }> {
  const taskId = nextTask++;
  const key = Identity.generate();
  await receiver.authorizeTransferKey({ taskId, publicKey: formatTaskPublicKey(key.id), sourceProvider: 'a', destinationPath: '/inbox' });
  const entryName = `entry-${taskId}`;
  const prep = await receiver.prepare({ taskId, sourceProvider: 'a', destinationPath: '/inbox', entryName });
  expect(prep.ready).toBe(true);
  const entry = join(inbox, entryName);
  mkdirSync(entry);
  symlinkSync(outside, join(entry, 'escape'));
  return { taskId, key, entry };
}

/** Runs messages on one stream until the first error; returns that error (or undefined). */
async function run(client: RpcClient, messages: unknown[]): Promise<Error | undefined> {
  const stream = await client.stream(RawPush);
  try {
    for (const message of messages) {
      await stream.send(message);
      const type = (message as { type?: unknown } | null)?.type;
      if (type !== 'data') await stream.receive();
    }
    await stream.closeSend();
    await stream.receive();
    return undefined;
  } catch (err) {
    stream.cancel();
    return err as Error;
  }
}

function expectTyped(error: Error | undefined): void {
  if (error === undefined) return;
  expect(ERROR_CODES).toContain((error as { code?: string }).code);
  expect(error.message).not.toMatch(/internal error/);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

describe('the built-in push handler', () => {
  it('refuses a begin from any key but the task\'s own, for any task id, and writes nothing', async () => {
    const { taskId } = await authorizedTask();
    const before = filesUnder(inbox);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(taskId), fc.integer({ min: 0, max: 2 ** 40 })), async (id) => {
        const error = await run(clientAs(Identity.generate()), [{ type: 'begin', taskId: id }, { type: 'dir', path: '', mode: 0o755 }]);
        expect(error?.name).toBe('PermissionDeniedError');
      }),
      { numRuns: 25 },
    );
    expect(filesUnder(inbox)).toEqual(before);
  });

  it('refuses garbage under the method name with InvalidArgument', async () => {
    const { key } = await authorizedTask();
    const client = clientAs(key);
    const before = filesUnder(inbox);
    await fc.assert(
      fc.asyncProperty(malformedRequest(pushMessageSchema), async (body) => {
        const error = await run(client, [body]);
        expect(error?.name).toBe('InvalidArgumentError');
      }),
      { numRuns: 60, endOnFailure: true },
    );
    expect(filesUnder(inbox)).toEqual(before);
  });

  it('a replay of a finished push after the task was released is refused', async () => {
    const { taskId, key, entry } = await authorizedTask();
    const content = Buffer.from('replayed bytes');
    const stream = [
      { type: 'begin', taskId },
      { type: 'file', path: 'a.txt', size: content.length, mode: 0o644, mtimeMs: 0 },
      { type: 'data', bytes: content },
      { type: 'end', sha256: createHash('sha256').update(content).digest() },
      { type: 'done' },
    ];
    expect(await run(clientAs(key), stream)).toBeUndefined();
    expect(readFileSync(join(entry, 'a.txt'), 'utf8')).toBe('replayed bytes');
    await receiver.release(taskId, 'SUCCESS', { destinationPath: '/inbox', entryName: `entry-${taskId}` });
    expect((await run(clientAs(key), stream))?.name).toBe('PermissionDeniedError');
  });

  const path = fc.oneof(
    fc.constantFrom('', 'a', 'b.txt', 'd', 'd/e', 'd/e/f.bin', 'escape', 'escape/x', '../x', '/etc/passwd', 'a/../../x', './a', 'd//e', '.handoff-1-0.part', 'a\0b'),
    fc.string({ maxLength: 12 }),
  );
  const step = fc.oneof(
    path.map((p) => ({ kind: 'dir' as const, path: p })),
    fc.tuple(path, fc.nat({ max: 64 })).map(([p, size]) => ({ kind: 'file' as const, path: p, size })),
    fc.uint8Array({ minLength: 1, maxLength: 48 }).map((bytes) => ({ kind: 'data' as const, bytes })),
    fc.constant({ kind: 'end-good' as const }),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((sha) => ({ kind: 'end-bad' as const, sha })),
    fc.constant({ kind: 'done' as const }),
    fc.constant({ kind: 'begin' as const }),
    // A whole, consistent file: announced size, its bytes, then either its digest or a wrong one.
    fc.tuple(path, fc.uint8Array({ maxLength: 48 }), fc.boolean()).map(([p, bytes, good]) => ({ kind: 'whole' as const, path: p, bytes, good })),
  );

  it('random message sequences from the task\'s key never write outside the entry nor an unverified final file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), async (steps) => {
        const { taskId, key, entry } = await authorizedTask();
        // The model: what each path was sent in full with a matching digest.
        const verified = new Map<string, Buffer>();
        let current: { path: string; sent: Buffer[] } | undefined;
        const messages: unknown[] = [{ type: 'begin', taskId }];
        for (const s of steps) {
          switch (s.kind) {
            case 'dir':
              messages.push({ type: 'dir', path: s.path, mode: 0o755 });
              break;
            case 'file':
              current = { path: s.path, sent: [] };
              messages.push({ type: 'file', path: s.path, size: s.size, mode: 0o644, mtimeMs: 0 });
              break;
            case 'data':
              current?.sent.push(Buffer.from(s.bytes));
              messages.push({ type: 'data', bytes: s.bytes });
              break;
            case 'end-good': {
              const all = Buffer.concat(current?.sent ?? []);
              if (current) verified.set(current.path, all);
              messages.push({ type: 'end', sha256: createHash('sha256').update(all).digest() });
              current = undefined;
              break;
            }
            case 'end-bad':
              messages.push({ type: 'end', sha256: s.sha });
              current = undefined;
              break;
            case 'done':
              messages.push({ type: 'done' });
              break;
            case 'begin':
              messages.push({ type: 'begin', taskId });
              break;
            case 'whole': {
              const bytes = Buffer.from(s.bytes);
              const sha = createHash('sha256').update(bytes).digest();
              if (s.good) verified.set(s.path, bytes);
              else sha[0] = sha[0]! ^ 1;
              messages.push({ type: 'file', path: s.path, size: bytes.length, mode: 0o644, mtimeMs: 0 });
              if (bytes.length > 0) messages.push({ type: 'data', bytes });
              messages.push({ type: 'end', sha256: sha });
              current = undefined;
              break;
            }
          }
        }
        expectTyped(await run(clientAs(key), messages));

        expect(readdirSync(outside)).toEqual([]);
        const entryName = `entry-${taskId}`;
        for (const file of filesUnder(inbox)) {
          const name = file.split('/').at(-1)!;
          if (!file.startsWith(`${entryName}/`) && file !== entryName) continue;
          if (isPartialOf(taskId, name) || file === `${entryName}/escape`) continue;
          const rel = file === entryName ? '' : file.slice(entryName.length + 1);
          // A final file exists only if it was sent in full and its digest matched.
          expect(verified.has(rel)).toBe(true);
          expect(readFileSync(join(inbox, file)).equals(verified.get(rel)!)).toBe(true);
        }
        expect(existsSync(entry)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('a newer push of the task takes over from one whose source went silent', async () => {
    const { taskId, key } = await authorizedTask();
    const silent = await clientAs(key).stream(RawPush);
    await silent.send({ type: 'begin', taskId });
    expect(await silent.receive()).toEqual({ type: 'ready' });

    const newer = await clientAs(key).stream(RawPush);
    await newer.send({ type: 'begin', taskId });
    expect(await newer.receive()).toEqual({ type: 'ready' });
    await expect(silent.receive()).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    newer.cancel();
  });

  it('still serves a well-formed push afterwards', async () => {
    const { taskId, key, entry } = await authorizedTask();
    const content = Buffer.from('fine');
    const error = await run(clientAs(key), [
      { type: 'begin', taskId },
      { type: 'dir', path: '', mode: 0o755 },
      { type: 'file', path: 'ok.txt', size: 4, mode: 0o600, mtimeMs: 1_700_000_000_000 },
      { type: 'data', bytes: content },
      { type: 'end', sha256: createHash('sha256').update(content).digest() },
      { type: 'done' },
    ]);
    expect(error).toBeUndefined();
    expect(readFileSync(join(entry, 'ok.txt'), 'utf8')).toBe('fine');
  });
});
