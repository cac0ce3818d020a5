/**
 * How the CLI tests start `handoff` as a real process: the TypeScript source through tsx, so a
 * test never runs a stale build (`npm test` builds first, but a single test file run does not).
 */
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../src/cli/index.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The argv (after `process.execPath`) that runs `handoff ...args`. */
export function cliArgv(args: readonly string[]): string[] {
  return ['--import', 'tsx', source, ...args];
}

/** The working directory `cliArgv` expects (where tsx resolves from). */
export const CLI_CWD = root;
