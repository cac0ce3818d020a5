/**
 * Each subpath loads only what its own exports need (issue 14, "Lean, honest subpaths"), checked
 * on the built dist/ — what users receive: the static import graph of every entry, the names
 * every entry exports, and the agreement between the exports map and the build.
 * `npm test` builds before it runs the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpTransport } from '../../src/transport/tcp.js';
import { BROWSER_SUBPATHS, DRIVERS, isNodeBuiltin, packageOf, pkg, requireBuilt, root, staticImports, stopBundler, subpath, subpaths } from './exports.js';

beforeAll(requireBuilt);
afterAll(stopBundler);

/** What each kind of subpath must not load on import, and why. */
function forbidden(name: string): { readonly test: (specifier: string) => boolean; readonly what: string } {
  const driver = (s: string): boolean => (DRIVERS as readonly string[]).includes(packageOf(s));
  if ((BROWSER_SUBPATHS as readonly string[]).includes(name)) {
    return { test: (s) => isNodeBuiltin(s) || driver(s) || packageOf(s) === 'vitest', what: 'a Node built-in, a driver or vitest' };
  }
  if (name === 'handoff/testing/suites') return { test: (s) => packageOf(s) === 'pg', what: 'pg' };
  if (name === 'handoff/testing') return { test: (s) => driver(s) || packageOf(s) === 'vitest', what: 'a database driver or vitest' };
  if (name === 'handoff/satellite' || name === 'handoff/node') return { test: driver, what: 'a database driver' };
  // Adapter entry points load their own driver and nothing else of the kind.
  if (name.endsWith('/sqlite')) return { test: (s) => packageOf(s) === 'pg' || packageOf(s) === 'vitest', what: 'pg or vitest' };
  if (name.endsWith('/postgres')) return { test: (s) => packageOf(s) === 'better-sqlite3' || packageOf(s) === 'vitest', what: 'better-sqlite3 or vitest' };
  return { test: (s) => packageOf(s) === 'vitest', what: 'vitest' };
}

describe('every subpath of the package', () => {
  it('is an entry of the build, and the build makes no public entry the exports map lacks', () => {
    const config = readFileSync(join(root, 'tsup.config.ts'), 'utf8');
    const built = [...config.matchAll(/'([^']+)': 'src\/[^']+\.ts'|\bindex: 'src\/index\.ts'/g)].map((m) => m[1] ?? 'index');
    const declared = subpaths.map((s) => s.js.replace(/^dist\//, '').replace(/\.js$/, ''));
    expect(built.filter((entry) => entry !== 'cli/index').sort()).toEqual([...declared].sort());
  });

  it.each(subpaths.map((s) => s.name))('%s loads nothing it does not need when imported', async (name) => {
    const rule = forbidden(name);
    const loaded = await staticImports(subpath(name).js);
    const offending = [...loaded].filter(([specifier]) => rule.test(specifier)).map(([specifier, from]) => `${specifier} (imported by ${from})`);
    expect(offending, `${name} must not load ${rule.what}`).toEqual([]);
  });

  it.each(subpaths.map((s) => s.name))('%s names what it exports (no `export *` of another module)', (name) => {
    const source = readFileSync(join(root, subpath(name).source), 'utf8');
    expect(source.match(/^export \* from .*$/gm) ?? []).toEqual([]);
  });
});

describe('what the subpaths export', () => {
  const exportsOf = async (name: string): Promise<string[]> => Object.keys(await import(pathToFileURL(join(root, subpath(name).js)).href));

  it('handoff/transfer: the machines, services and clients, not the adapters\' internals', async () => {
    const names = await exportsOf('handoff/transfer');
    expect(names).toEqual(expect.arrayContaining(['TransferCore', 'ProviderIntegration', 'TransferClient', 'transition', 'MemoryTransferTaskStore']));
    for (const internal of ['signalGroup', 'stopGroup', 'POSTGRES_SCHEMA', 'SqliteTransferTaskStore', 'PostgresTransferTaskStore', 'rsyncPlugin', 'TransferKeyring', 'checkText']) {
      expect(names, internal).not.toContain(internal);
    }
  });

  it('handoff/transfer/rsync and handoff/transfer/postgres: the plugin and the store, not their plumbing', async () => {
    const rsync = await exportsOf('handoff/transfer/rsync');
    expect(rsync).toEqual(expect.arrayContaining(['rsyncPlugin', 'rsyncReceiver']));
    for (const internal of ['signalGroup', 'stopGroup', 'groupMembers', 'RsyncProcess']) expect(rsync).not.toContain(internal);
    expect((await exportsOf('handoff/transfer/postgres')).sort()).toEqual(['PostgresIntegrationStore', 'PostgresTransferTaskStore']);
  });

  it('handoff/node: the storage node, not the uplink\'s piece client', async () => {
    const names = await exportsOf('handoff/node');
    expect(names).toEqual(expect.arrayContaining(['StorageNode', 'MemoryPieceStore', 'registerPiecestore']));
    for (const client of ['uploadPiece', 'downloadPiece', 'downloadPieceWithProof', 'deletePiece', 'DEFAULT_UPLOAD_CHUNK_BYTES']) {
      expect(names, client).not.toContain(client);
    }
  });

  it('handoff/testing: the test network and fault helpers; the vitest suites only in handoff/testing/suites', async () => {
    const testing = await exportsOf('handoff/testing');
    expect(testing).toEqual(expect.arrayContaining(['createTestNetwork', 'memoryNetwork', 'ManualClock']));
    expect(testing.filter((n) => n.endsWith('Suite'))).toEqual([]);
    expect(await exportsOf('handoff/testing/suites')).toEqual(expect.arrayContaining(['transportSuite', 'metabaseStoreSuite', 'transferTaskStoreSuite']));
  });

  it('declares vitest an optional peer, since only handoff/testing/suites needs it', () => {
    expect(pkg.peerDependencies?.vitest).toBeDefined();
    expect(pkg.dependencies.vitest).toBeUndefined();
  });
});

describe('TCP, loaded only when asked for', () => {
  it('is there on Node, and where Node is not, tcpTransport() says so with a typed error instead of failing on import', () => {
    expect(tcpTransport().name).toBe('tcp');
    const proc = process as { getBuiltinModule?: unknown };
    const getBuiltinModule = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined; // as in a browser, where handoff/transport is bundled without node:net
    try {
      expect(() => tcpTransport()).toThrow(expect.objectContaining({ name: 'UnavailableError', message: expect.stringMatching(/webSocketTransport/) }));
    } finally {
      proc.getBuiltinModule = getBuiltinModule;
    }
    expect(tcpTransport({ tls: {} }).name).toBe('tls');
  });
});
