/**
 * The transfer demo with the built-in plugin — what `npm run demo` runs on a machine without
 * rsync or an sshd — moves the tree with a pause and a resume, says so, and leaves nothing behind.
 */
import { expect, it } from 'vitest';
import { runTransferDemo } from '../../../examples/transfer-demo.js';
import { withOwnTmpdir } from '../../support/tmpdir.js';

it('the transfer demo runs on the built-in plugin without rsync or sshd, and cleans up', async () => {
  const lines: string[] = [];
  let bar = '';
  const run = await withOwnTmpdir('handoff-demo-test-', () =>
    runTransferDemo((line) => lines.push(line), { plugin: 'builtin', largeFileMiB: 12, progress: { write: (text: string) => (bar += text) } }),
  );
  const leftovers = run.leftovers();
  run.cleanup();
  const result = run.result;

  expect(result).toMatchObject({ state: 'SUCCESS', identical: true, keyRevoked: true, files: 27 });
  expect(result?.pausedAt).toBeGreaterThan(0);
  expect(lines.join('\n')).toMatch(/continued inside the half-sent file\), and the task ended in SUCCESS/);
  expect(lines.join('\n')).toMatch(/over handoff's own RPC/);
  expect(lines.join('\n')).not.toMatch(/sshd/);
  expect(bar).toMatch(/\r\[#+\] 100\.0 % SUCCESS/);
  expect(bar).toContain('PAUSED');
  expect(leftovers).toEqual([]);
});

it('prints the web console address while the transfer runs, serves it until the demo lets go, then stops it', async () => {
  const { consoleAssetsDir } = await import('../../../src/console/assets.js');
  if (consoleAssetsDir() === undefined) {
    // `npm test` builds first, so CI always has the console; a bare vitest run may not.
    if (process.env.HANDOFF_REQUIRE_ALL === '1') throw new Error('dist/console is missing: run npm run build');
    console.warn('skipped: no dist/console (npm run build makes it)');
    return;
  }
  const lines: string[] = [];
  let seen: { page: string; config: unknown } | undefined;
  let url = '';
  const result = await runTransferDemo((line) => lines.push(line), {
    plugin: 'builtin', largeFileMiB: 2, progress: { write: () => true },
    holdConsole: async () => {
      url = /web console at (http:\/\/\S+) /.exec(lines.join('\n'))?.[1] ?? '';
      const page = await (await fetch(url)).text();
      const config = await (await fetch(new URL('config.json', url))).json();
      seen = { page, config };
    },
  });
  expect(result?.state).toBe('SUCCESS');
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  expect(lines.join('\n')).toMatch(/sign in as Alice with \S+alice\.pem/);
  expect(seen?.page).toMatch(/<html/i);
  expect(seen?.config).toMatchObject({ coreId: expect.stringMatching(/^[a-z2-7]+$/) });
  await expect(fetch(url)).rejects.toThrow(); // the demo stopped its console with everything else
});
