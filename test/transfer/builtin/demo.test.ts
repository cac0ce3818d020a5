/**
 * The transfer demo with the built-in plugin — what `npm run demo` runs on a machine without
 * rsync or an sshd — moves the tree with a pause and a resume, says so, and leaves nothing behind.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { runTransferDemo } from '../../../examples/transfer-demo.js';

it('the transfer demo runs on the built-in plugin without rsync or sshd, and cleans up', async () => {
  const demoDirs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('handoff-transfer-demo-'));
  const before = demoDirs();
  const lines: string[] = [];
  let bar = '';
  const result = await runTransferDemo((line) => lines.push(line), { plugin: 'builtin', largeFileMiB: 12, progress: { write: (text: string) => (bar += text) } });

  expect(result).toMatchObject({ state: 'SUCCESS', identical: true, keyRevoked: true, files: 27 });
  expect(result?.pausedAt).toBeGreaterThan(0);
  expect(lines.join('\n')).toMatch(/continued inside the half-sent file\), and the task ended in SUCCESS/);
  expect(lines.join('\n')).toMatch(/over handoff's own RPC/);
  expect(lines.join('\n')).not.toMatch(/sshd/);
  expect(bar).toMatch(/\r\[#+\] 100\.0 % SUCCESS/);
  expect(bar).toContain('PAUSED');
  expect(demoDirs()).toEqual(before);
});
