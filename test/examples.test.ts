/**
 * Every example runs the way a user runs it — `npm run demo`, `npx tsx examples/<file>` — in a
 * process of its own, and must end by itself with status 0. An example that leaves a socket, a
 * timer or a child process behind never returns; after a generous bound its whole process group
 * is killed and the test fails with what it printed.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');
/** Far more than any example needs (the whole demo takes about 20 s on a laptop). */
const BOUND_MS = 120_000;

interface Ending {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly output: string;
}

/** Runs `command` in a process group of its own until it exits, or kills the group after {@link BOUND_MS}. */
function runToExit(command: string, args: string[]): Promise<Ending> {
  const child = spawn(command, args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, BOUND_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output });
    });
  });
}

function expectCleanExit(ending: Ending): void {
  const story = `${ending.timedOut ? `still running after ${BOUND_MS / 1000} s (killed)` : `exited with ${ending.code ?? ending.signal}`}; it printed:\n${ending.output}`;
  expect(ending.timedOut, story).toBe(false);
  expect(ending.code, story).toBe(0);
}

// demo.ts is what `npm run demo` runs; every other example is run on its own.
const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.ts') && file !== 'demo.ts');

describe('the examples, each in a process of its own', () => {
  it('npm run demo ends by itself with status 0', async () => {
    const ending = await runToExit('npm', ['run', 'demo']);
    expectCleanExit(ending);
    expect(ending.output).toMatch(/Done: every byte came back intact/);
  }, BOUND_MS + 30_000);

  for (const file of examples) {
    it(`npx tsx examples/${file} ends by itself with status 0`, async () => {
      expectCleanExit(await runToExit(tsx, [join('examples', file)]));
    }, BOUND_MS + 30_000);
  }
});
