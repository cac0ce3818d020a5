/**
 * Graceful exit as operators run it, every party a process of its own: a satellite and six
 * storage nodes started with the built CLI, data uploaded by an uplink, then `handoff node
 * exit-satellite` typed at a terminal (a pseudo-terminal from `script`) and run from a script
 * with `--yes`, `exit-status` read as JSON, and the satellite's `exits` and payout report — down
 * to a node that lost its data, whose exit fails and whose status says why, with a failing exit
 * code; then a rejoin, a partial exit, and a node whose bandwidth allocation is too small and
 * that shuts down by itself once it has exited. Every wait is for a line of output, within a bound.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { NodeId } from '../../src/crypto/node-id.js';
import { NodeAdminListSatellites } from '../../src/node/admin/methods.js';
import { RpcClient } from '../../src/rpc/client.js';
import { TEST_KDF } from '../../src/testing/network.js';
import { tcpTransport } from '../../src/transport/tcp.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { patterned } from '../uplink/support/bytes.js';
import { CLI_CWD, cliArgv } from './support/cli.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const WAIT_MS = 90_000;

/** A CLI process in a process group of its own (killed whole at the end), its output kept. */
class Proc {
  output = '';
  readonly child: ChildProcess;
  readonly #exited: Promise<number | null>;

  constructor(args: string[], options: { tty?: boolean } = {}) {
    const command = options.tty ? 'script' : process.execPath;
    // A terminal 120 columns wide (a new pseudo-terminal has no size), then the CLI in it.
    const shell = `stty cols 120 rows 40; cd '${CLI_CWD}' && exec ${[process.execPath, ...cliArgv(args)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
    const argv = options.tty ? ['-qfec', shell, '/dev/null'] : cliArgv(args);
    this.child = spawn(command, argv, { cwd: CLI_CWD, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(this);
    const keep = (chunk: Buffer): void => void (this.output += chunk.toString());
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.#exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves with the match once the output matches `pattern`; fails if the process ends first or `ms` pass. */
  waitFor(pattern: RegExp, ms = WAIT_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.output);
        if (match) {
          done();
          resolve(match);
        }
        return match !== null;
      };
      const onData = (): void => void check();
      const onExit = (): void => {
        if (!check()) {
          done();
          reject(new Error(`ended before printing ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${ms / 1000} s:\n${this.output}`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.child.stdout!.off('data', onData);
        this.child.stderr!.off('data', onData);
        this.child.off('exit', onExit);
      };
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** The exit status, or a failure (and the group killed) after `ms`. */
  async exit(ms = WAIT_MS): Promise<number | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`still running ${ms / 1000} s later:\n${this.output}`));
      }, ms);
    });
    try {
      return await Promise.race([this.#exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  type(text: string): void {
    this.child.stdin!.write(text);
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

const procs: Proc[] = [];

/** Runs the CLI to its end. */
async function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const proc = new Proc(args);
  proc.child.stdin!.end();
  const code = await proc.exit();
  return { code, output: proc.output };
}

/** Every file under `dir`. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const OBJECTS = [
  { key: 'photos/beach.jpg', data: patterned(150_000, 1) },
  { key: 'photos/dunes.jpg', data: patterned(90_000, 2) },
  { key: 'notes/todo.txt', data: patterned(20_000, 3) },
];

describe('graceful exit from the command line', () => {
  let dir = '';
  let satelliteRef = '';
  let satelliteId = '';
  let satelliteAddress = '';
  let uplink: Uplink;
  const nodeDirs: string[] = [];
  const nodeIds: string[] = [];
  let nodeProcs: Proc[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-cli-exit-'));
    // Every piece is needed (3 of 3): each piece of an exiting node is handed over, never dropped.
    const satellite = new Proc(['satellite', 'run', '--address', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'sat')}`, '--identity', join(dir, 'sat.pem'), '--project', 'exits', '--redundancy', '2/2/3/3', '--exit-not-ready-retry', '200ms']);
    const apiKey = (await satellite.waitFor(/API key: (hk1_\S+)/))[1]!;
    satelliteRef = (await satellite.waitFor(/satellite (\S+@\S+) is running/))[1]!;
    [satelliteId, satelliteAddress] = satelliteRef.split('@') as [string, string];
    const nodes = [0, 1, 2, 3, 4, 5, 6].map((i) => {
      nodeDirs.push(join(dir, `node-${i}`));
      // Node 6 has a tiny monthly bandwidth allocation (the uploads use it up) and stops by itself once it has exited.
      const node6 = i === 6 ? ['--bandwidth', '1KiB', '--shutdown-after-exits'] : [];
      return new Proc(['node', 'run', '--dir', nodeDirs[i]!, '--satellite', satelliteRef, '--capacity', '1GiB', '--wallet', `0xwallet${i}`, ...node6]);
    });
    nodeProcs = nodes;
    for (const node of nodes) nodeIds.push((await node.waitFor(/storage node (\S+) is serving/))[1]!);
    uplink = await Uplink.connect({ transport: tcpTransport(), satelliteAddress, satelliteId: NodeId.parse(satelliteId), apiKey, passphrase: 'exit from the CLI', kdf: TEST_KDF, segmentSize: 32 * 1024 });
    await uplink.createBucket('holiday');
    for (const { key, data } of OBJECTS) await uplink.upload('holiday', key, data);
  }, 180_000);

  afterAll(async () => {
    await uplink?.close();
    for (const proc of procs.splice(0)) proc.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The node (index) holding the most piece files, among `among`. */
  const busiest = (among: number[]): number => among.sort((a, b) => files(join(nodeDirs[b]!, 'pieces')).length - files(join(nodeDirs[a]!, 'pieces')).length)[0]!;

  it('gives each running node an admin endpoint on loopback that refuses any identity but its own', async () => {
    const file = join(nodeDirs[0]!, 'identity.admin.json');
    const { address, nodeId } = JSON.parse(readFileSync(file, 'utf8')) as { address: string; nodeId: string };
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(nodeId).toBe(nodeIds[0]);
    expect(statSync(file).mode & 0o077).toBe(0);
    const stranger = new RpcClient({ transport: tcpTransport(), address, identity: Identity.generate() });
    try {
      await expect(stranger.call(NodeAdminListSatellites, {})).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    } finally {
      await stranger.close();
    }
    const status = await run(['node', 'exit-status', '--dir', nodeDirs[0]!]);
    expect(status).toMatchObject({ code: 0 });
    expect(status.output).toContain('no graceful exit started');
  });

  it('refuses to start an exit without confirmation when nobody is at a terminal', async () => {
    const { code, output } = await run(['node', 'exit-satellite', '--dir', nodeDirs[0]!, '--satellite', satelliteId]);
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^handoff: refusing to start a graceful exit without confirmation: standard input is not a terminal/);
  });

  const exited: number[] = [];

  it.runIf(hasScript)('at a terminal: explains, lists, refuses a wrong answer, and starts only on the satellite typed, with a live bar', async () => {
    const node = busiest([0, 1, 2, 3, 4, 5]);
    const wrong = new Proc(['node', 'exit-satellite', '--dir', nodeDirs[node]!], { tty: true });
    await wrong.waitFor(/Type the id or address of the satellite to exit: /);
    expect(wrong.output).toContain('cannot be cancelled');
    expect(wrong.output).toContain('keeps its held amount');
    expect(wrong.output).toMatch(new RegExp(`${satelliteId}\\s+${satelliteAddress.replace(/\./g, '\\.')}\\s+\\d`)); // id, address, space used
    wrong.type(`${nodeIds[node]}\r`); // the node's own id: not a satellite
    expect(await wrong.exit()).toBe(1);
    expect(wrong.output).toContain('nothing was started');
    expect((await run(['node', 'exit-status', '--dir', nodeDirs[node]!])).output).toContain('no graceful exit started');

    const right = new Proc(['node', 'exit-satellite', '--dir', nodeDirs[node]!], { tty: true });
    await right.waitFor(/Type the id or address of the satellite to exit: /);
    right.type(`${satelliteAddress}\r`);
    await right.waitFor(/started \(it cannot be cancelled\)/);
    expect(await right.exit()).toBe(0);
    // A live bar (cli-progress) with the cursor hidden while it runs and shown again after.
    expect(right.output).toMatch(/satellite \S+… \S+ completed: \d+ pieces/); // its bar, drawn last with the outcome
    expect(right.output).toContain('\x1b[?25l');
    expect(right.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(right.output.lastIndexOf('\x1b[?25l'));
    expect(right.output).toMatch(/completed: \d+ pieces/);
    exited.push(node);
  }, 180_000);

  it('from a script: --yes with a satellite, plain progress lines, then exit-status --json with a verified receipt', async () => {
    const node = busiest([0, 1, 2, 3, 4, 5].filter((i) => !exited.includes(i)));
    const { code, output } = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteRef.split('@')[0]!, '--yes']);
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/\r|\x1b/);
    expect(output).toMatch(/satellite \S+…: \d+\.\d %/);
    expect(output).toMatch(/satellite \S+…: completed/);
    exited.push(node);

    const status = await run(['node', 'exit-status', '--dir', nodeDirs[node]!, '--json']);
    expect(status.code).toBe(0);
    const { nodeId, exits } = JSON.parse(status.output) as { nodeId: string; exits: Array<Record<string, unknown>> };
    expect(nodeId).toBe(nodeIds[node]);
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ satelliteId, satelliteAddress, state: 'completed', percent: 100, piecesFailed: 0, failureReason: null, receiptVerified: true, wiped: true });
    expect(exits[0]!.piecesTransferred).toBeGreaterThan(0);
    expect(Buffer.from(exits[0]!.receipt as string, 'base64').toString('hex')).toBe(exits[0]!.receiptHex);
    expect(files(join(nodeDirs[node]!, 'pieces')).filter((f) => !f.includes('trash'))).toEqual([]);

    // The same exit, started again, is refused: the node already exited that satellite.
    const again = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteId, '--yes']);
    expect(again.code).toBe(1);
    expect(again.output).toContain('already exited');
  }, 180_000);

  it("the satellite's operator sees no exit in progress and a payout report with both nodes, their wallets and the real GB moved", async () => {
    const exits = await run(['satellite', 'exits', '--identity', join(dir, 'sat.pem'), '--json']);
    expect(exits.code).toBe(0);
    expect(JSON.parse(exits.output)).toEqual({ exits: [] });

    const day = 86_400_000;
    const window = ['--from', new Date(Date.now() - day).toISOString().slice(0, 10), '--to', new Date(Date.now() + day).toISOString().slice(0, 10)];
    const csv = await run(['satellite', 'report', 'graceful-exit', ...window, '--csv', '--identity', join(dir, 'sat.pem')]);
    expect(csv.code).toBe(0);
    const [header, ...rows] = csv.output.trim().split('\n');
    expect(header).toBe('node_id,wallet,joined,exit_initiated,exit_finished,gb_transferred,pieces_transferred,pieces_failed,result,reason,kind,policy,escrow_started');
    expect(rows).toHaveLength(exited.length);
    for (const node of exited) {
      const row = rows.find((r) => r.startsWith(nodeIds[node]!))!.split(',');
      expect(row[1]).toBe(`0xwallet${node}`);
      expect(Number(row[5])).toBeGreaterThan(0);
      expect(row[8]).toBe('completed');
    }
    const json = await run(['satellite', 'report', 'graceful-exit', ...window, '--json', '--identity', join(dir, 'sat.pem')]);
    expect(JSON.parse(json.output).rows.map((r: { result: string }) => r.result)).toEqual(exited.map(() => 'completed'));
    expect((await run(['satellite', 'report', 'graceful-exit', '--from', '2026-12-01', '--to', '2026-11-01'])).code).toBe(2);
  }, 120_000);

  let rotten = -1;

  it('a node whose pieces rotted fails its exit: exit-satellite and exit-status exit with 1 and say the satellite disqualified it', async () => {
    const node = busiest([0, 1, 2, 3, 4, 5].filter((i) => !exited.includes(i)));
    rotten = node;
    const pieces = files(join(nodeDirs[node]!, 'pieces'));
    expect(pieces.length).toBeGreaterThan(0);
    for (const file of pieces) {
      const bytes = readFileSync(file);
      for (let i = Math.floor(bytes.length / 3); i < bytes.length - 128; i += 7) bytes[i]! ^= 0xff;
      writeFileSync(file, bytes);
    }
    const exit = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteAddress, '--yes']);
    expect(exit.code, exit.output).toBe(1);
    expect(exit.output).toContain(`handoff: satellite ${satelliteId} disqualified this node: its graceful exit failed (OVERALL_FAILURE_PERCENTAGE_EXCEEDED); the held amount is kept`);

    const status = await run(['node', 'exit-status', '--dir', nodeDirs[node]!]);
    expect(status.code).toBe(1);
    expect(status.output).toMatch(/result\s+failed: OVERALL_FAILURE_PERCENTAGE_EXCEEDED/);
    expect(status.output).toMatch(/receipt\s+\S+ \(signed by the satellite: verified\)/);

    const day = 86_400_000;
    const report = await run(['satellite', 'report', 'graceful-exit', '--from', new Date(Date.now() - day).toISOString(), '--to', new Date(Date.now() + day).toISOString(), '--identity', join(dir, 'sat.pem')]);
    expect(report.output).toMatch(new RegExp(`${nodeIds[node]}\\s+0xwallet${node}.*failed: OVERALL_FAILURE_PERCENTAGE_EXCEEDED`));
  }, 180_000);

  it('a node that exited rejoins with one command: the exit moves to its history', async () => {
    const node = exited.at(-1)!;
    const { code, output } = await run(['node', 'rejoin-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteAddress, '--yes', '--json']);
    expect(code, output).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ satelliteId });
    const status = JSON.parse((await run(['node', 'exit-status', '--dir', nodeDirs[node]!, '--json'])).output) as { exits: unknown[]; history: Array<Record<string, unknown>> };
    expect(status.exits).toEqual([]);
    expect(status.history).toEqual([expect.objectContaining({ kind: 'full', state: 'completed', receiptVerified: true })]);
    // Rejoined: it may exit again, and nothing it did not exit can be rejoined.
    const never = [0, 1, 2, 3, 4, 5].find((i) => !exited.includes(i) && i !== rotten)!;
    const refused = await run(['node', 'rejoin-satellite', '--dir', nodeDirs[never]!, '--satellite', satelliteId, '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('there is nothing to rejoin');
  }, 120_000);

  it('a partial exit moves what the operator asked off the satellite, chosen by the satellite, and the node stays', async () => {
    const node = busiest([0, 1, 2, 3, 4, 5].filter((i) => !exited.includes(i) && i !== rotten));
    const tooMuch = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteId, '--reduce-by', '1GiB', '--yes']);
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.output).toMatch(/refused the exit: this node holds \d+ bytes for that satellite/);
    const { code, output } = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteId, '--reduce-by', '1KiB', '--yes']);
    expect(code, output).toBe(0);
    expect(output).toContain('Partial graceful exit (1.00 KiB) from satellite');
    expect(output).toContain('the node stays');
    const status = JSON.parse((await run(['node', 'exit-status', '--dir', nodeDirs[node]!, '--json'])).output) as { exits: Array<Record<string, unknown>> };
    expect(status.exits[0]).toMatchObject({ kind: 'partial', targetBytes: 1024, state: 'completed', receiptVerified: true });
    expect(status.exits[0]!.bytesTransferred).toBeGreaterThanOrEqual(1024);
    expect(files(join(nodeDirs[node]!, 'pieces')).length).toBeGreaterThan(0); // it keeps the rest
    expect(nodeProcs[node]!.child.exitCode).toBeNull();
  }, 120_000);

  it('a node whose bandwidth allocation cannot cover its exit asks exceed or wait, and with --shutdown-after-exits stops by itself once out', async () => {
    const node = 6;
    const asked = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteId, '--yes']);
    expect(asked.code).toBe(1);
    expect(asked.output).toMatch(/needs about .* of bandwidth but .* allocation is left/);
    expect(asked.output).toContain('(add --bandwidth exceed or --bandwidth wait); nothing was started');
    expect((await run(['node', 'exit-status', '--dir', nodeDirs[node]!])).output).toContain('no graceful exit started');

    const { code, output } = await run(['node', 'exit-satellite', '--dir', nodeDirs[node]!, '--satellite', satelliteId, '--yes', '--bandwidth', 'exceed', '--json']);
    expect(code, output).toBe(0);
    expect(JSON.parse(output).exits[0]).toMatchObject({ state: 'completed', bandwidth: 'exceed' });
    // It served one satellite and has exited it: the process ends by itself, cleanly.
    expect(await nodeProcs[node]!.exit()).toBe(0);
    expect(nodeProcs[node]!.output).toContain('exited every satellite it served: shutting down');
    expect(existsSync(join(nodeDirs[node]!, 'identity.admin.json'))).toBe(false);
  }, 120_000);

  it('every object still downloads byte-identical', async () => {
    for (const { key, data } of OBJECTS) expect(Buffer.from(await uplink.download('holiday', key)).equals(Buffer.from(data))).toBe(true);
  }, 60_000);
});

describe('a satellite with the time-based exit policy, from the command line', () => {
  let dir = '';
  afterAll(() => {
    for (const proc of procs.splice(0)) proc.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('completes an exit by time online, moving nothing, under the same commands and report', async () => {
    dir = mkdtempSync(join(tmpdir(), 'handoff-cli-time-'));
    const satellite = new Proc(['satellite', 'run', '--address', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'sat')}`, '--identity', join(dir, 'sat.pem'), '--exit-policy', 'time-based', '--exit-period', '1s', '--exit-not-ready-retry', '100ms']);
    const ref = (await satellite.waitFor(/satellite (\S+@\S+) is running/))[1]!;
    const node = new Proc(['node', 'run', '--dir', join(dir, 'node'), '--satellite', ref]);
    const nodeId = (await node.waitFor(/storage node (\S+) is serving/))[1]!;

    const exit = await run(['node', 'exit-satellite', '--dir', join(dir, 'node'), '--satellite', ref.split('@')[0]!, '--yes', '--json']);
    expect(exit.code, exit.output).toBe(0);
    expect(JSON.parse(exit.output).exits[0]).toMatchObject({ kind: 'full', policy: 'time-based', state: 'completed', piecesTransferred: 0, receiptVerified: true });

    const day = 86_400_000;
    const report = await run(['satellite', 'report', 'graceful-exit', '--from', new Date(Date.now() - day).toISOString(), '--to', new Date(Date.now() + day).toISOString(), '--json', '--identity', join(dir, 'sat.pem')]);
    expect(JSON.parse(report.output).rows).toEqual([expect.objectContaining({ nodeId, kind: 'full', policy: 'time-based', result: 'completed', bytesTransferred: 0 })]);
  }, 120_000);
});
