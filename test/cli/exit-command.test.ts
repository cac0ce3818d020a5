/**
 * `handoff node exit-satellite` driven in this process (the same `main` the binary runs), for
 * what a child process makes slow or racy to show: Ctrl-C while watching stops the watching and
 * not the exit, `--detach --json`, and the usage and reachability errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { adminAddressFile } from '../../src/admin/address-file.js';
import { main } from '../../src/cli/index.js';
import type { CliIo } from '../../src/cli/command.js';
import type { StopRequest } from '../../src/cli/stop.js';
import { ExitProgressFeed, startNodeAdmin } from '../../src/node/admin/index.js';
import { createTestNetwork, type TestNetwork } from '../../src/testing/network.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function io(): CliIo & { stdoutLines: string[]; stderrLines: string[]; drawn: string[] } {
  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const drawn: string[] = [];
  return { stdoutLines, stderrLines, drawn, out: (l) => stdoutLines.push(l), err: (l) => stderrLines.push(l), stdin: Readable.from([]), stdout: { write: (t: string) => drawn.push(t), isTTY: false } };
}

/** A stop request as if the operator had pressed Ctrl-C as soon as watching began. */
const ctrlCAtOnce = (): StopRequest => ({ requested: Promise.resolve('SIGINT'), dispose: () => {} });
const never = (): StopRequest => ({ requested: new Promise(() => {}), dispose: () => {} });

/** A network whose node 0 has its identity in `dir` and its admin endpoint running, as `node run` leaves them. */
async function runningNode(): Promise<{ net: TestNetwork; dir: string; satelliteId: string }> {
  const net = await createTestNetwork({ nodes: 6, satellite: { exit: { notReadyRetryMs: 10 } }, nodeExit: { minBackoffMs: 10 } });
  cleanups.push(() => net.close());
  const dir = mkdtempSync(join(tmpdir(), 'handoff-exit-cmd-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const node = net.nodes[0]!;
  await node.identity.save(join(dir, 'identity.pem'));
  const admin = await startNodeAdmin({ node, progress: new ExitProgressFeed(), addressFile: adminAddressFile(join(dir, 'identity.pem')) });
  cleanups.push(() => admin.close());
  return { net, dir, satelliteId: net.satellite.id.toString() };
}

describe('handoff node exit-satellite', () => {
  it('Ctrl-C while watching stops the watching with status 130; the exit goes on to its end', async () => {
    const { net, dir, satelliteId } = await runningNode();
    const streams = io();
    const code = await main(['node', 'exit-satellite', '--dir', dir, '--satellite', satelliteId, '--yes'], streams, ctrlCAtOnce);
    expect(code).toBe(130);
    expect(streams.stderrLines).toEqual([`handoff: stopped watching; the exit goes on in the node (handoff node exit-status --dir ${dir})`]);
    const status = await net.nodes[0]!.exitFinished(net.satellite.id.bytes);
    expect(status?.state).toBe('completed');
  });

  it('--detach --json starts the exit and prints its status without watching', async () => {
    const { dir, satelliteId } = await runningNode();
    const streams = io();
    expect(await main(['node', 'exit-satellite', '--dir', dir, '--satellite', satelliteId, '--yes', '--detach', '--json'], streams, never)).toBe(0);
    const printed = JSON.parse(streams.stdoutLines.join('\n')) as { exits: Array<{ satelliteId: string; kind: string }> };
    expect(printed.exits).toHaveLength(1);
    expect(printed.exits[0]).toMatchObject({ satelliteId, kind: 'full' });
    expect(streams.drawn).toEqual([]);
  });

  it('says what is wrong with a command line in one line, with the usage, and exits with 2', async () => {
    for (const [args, message] of [
      [['--dir', 'x', '--yes'], 'handoff: --yes needs the satellite to exit: --satellite <id>|<host:port>, or --all'],
      [['--dir', 'x', '--all', '--satellite', 'y'], 'handoff: --satellite and --all exclude each other'],
      [['--satellite', 'y'], 'handoff: --dir is required'],
      [['--dir', 'x', '--frobnicate'], "handoff: unknown option '--frobnicate'"],
    ] as const) {
      const streams = io();
      expect(await main(['node', 'exit-satellite', ...args], streams, never)).toBe(2);
      expect(streams.stderrLines[0]).toBe(message);
      expect(streams.stderrLines[1]).toMatch(/^usage: handoff node exit-satellite --dir <dir>/);
      expect(streams.stdoutLines).toEqual([]);
    }
  });

  it('names a node that is not running, and one that is not a node at all, in one line with status 1', async () => {
    const { dir, satelliteId } = await runningNode();
    const empty = mkdtempSync(join(tmpdir(), 'handoff-exit-cmd-'));
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }));
    let streams = io();
    expect(await main(['node', 'exit-status', '--dir', empty], streams, never)).toBe(1);
    expect(streams.stderrLines).toEqual([`handoff: ${empty} is not a storage node's data directory (no ${join(empty, 'identity.pem')}; handoff node run --dir ${empty} makes one)`]);

    await cleanups.splice(-2, 1)[0]!(); // the admin endpoint closes, as when the node stops
    streams = io();
    expect(await main(['node', 'exit-satellite', '--dir', dir, '--satellite', satelliteId, '--yes'], streams, never)).toBe(1);
    expect(streams.stderrLines).toEqual([`handoff: the storage node in ${dir} is not running (no ${join(dir, 'identity.admin.json')}); start it with handoff node run --dir ${dir}`]);
  });
});

describe('handoff satellite run', () => {
  it('refuses an exit policy or online score it does not know before it starts anything', async () => {
    for (const [flag, value, message] of [
      ['--exit-policy', 'lenient', 'handoff: --exit-policy is transfer or time-based, got "lenient"'],
      ['--exit-min-online', '1.5', 'handoff: --exit-min-online is a fraction from 0 to 1 (or a percentage), got "1.5"'],
      ['--exit-period', 'soon', 'handoff: cannot read "soon" as a duration (try 30s, 5m or 2h)'],
    ] as const) {
      const streams = io();
      expect(await main(['satellite', 'run', '--store', 'memory', flag, value], streams, never)).toBe(2);
      expect(streams.stderrLines[0]).toBe(message);
      expect(streams.stdoutLines).toEqual([]);
    }
  });
});
