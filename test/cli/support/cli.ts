/**
 * How the CLI tests start `handoff` as a real process. When the build in `dist/` is newer than
 * every source file (as after `npm test`, which builds first), they run the built CLI, the one a
 * user installs: it starts in a fraction of a second. Otherwise (a single test file run after an
 * edit) they run the TypeScript source through tsx, whose loader hooks cost seconds of CPU per
 * start, so that a test never runs a stale build.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const source = join(root, 'src', 'cli', 'index.ts');
const built = join(root, 'dist', 'cli', 'index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtIsFresh(): boolean {
  try {
    return statSync(built).mtimeMs > Math.max(newestMtime(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs);
  } catch {
    return false;
  }
}

/** Which CLI the tests run: `'built'` (dist/) or `'source'` (src/ through tsx). */
export const CLI_KIND: 'built' | 'source' = builtIsFresh() ? 'built' : 'source';

/** The argv (after `process.execPath`) that runs `handoff ...args`. */
export function cliArgv(args: readonly string[]): string[] {
  return CLI_KIND === 'built' ? [built, ...args] : ['--import', 'tsx', source, ...args];
}

/** The working directory `cliArgv` expects (where tsx resolves from). */
export const CLI_CWD = root;
