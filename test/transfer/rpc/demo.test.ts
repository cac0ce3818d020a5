/**
 * The transfer demo (`npx tsx examples/transfer-demo.ts`) runs end to end — smaller and quicker
 * here — and leaves nothing behind: no temporary directory, no rsync, ssh or sshd.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runTransferDemo } from '../../../examples/transfer-demo.js';
import { describeWith } from '../../support/env.js';
import { sshUnavailableReason } from '../../../src/testing/sshd.js';
import { withOwnTmpdir } from '../../support/tmpdir.js';

/** Live processes started by the demo: their command lines name its temporary directory, under `tmp`. */
function demoProcesses(tmp: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(tmp)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describeWith('sshd, rsync and rrsync', sshUnavailableReason(), 'the transfer demo', () => {
  it('transfers a tree with a pause and a resume, says what happened, and cleans up', async () => {
    const lines: string[] = [];
    let bar = '';
    const run = await withOwnTmpdir('handoff-demo-test-', () => runTransferDemo((line) => lines.push(line), { largeFileMiB: 12, progress: { write: (text: string) => (bar += text) } }));
    const leftovers = run.leftovers();
    const processes = demoProcesses(run.dir);
    run.cleanup();
    const result = run.result;

    expect(result).toMatchObject({ state: 'SUCCESS', identical: true, keyRevoked: true, files: 27 });
    expect(result?.pausedAt).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/paused the transfer through the core at .* and the task ended in SUCCESS/);
    expect(bar).toMatch(/\r\[#+\] 100\.0 % SUCCESS/);
    expect(bar).toContain('PAUSED');
    expect(leftovers).toEqual([]);
    expect(processes).toEqual([]);
  });
});
