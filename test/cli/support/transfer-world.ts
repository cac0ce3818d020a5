/**
 * The parties of a command-line transfer story: a core and two providers (hippo holding drive
 * 4123, aau holding drive 5243), alice allowed to read 4123 and edit 5243 — their identity
 * files, free ports, the client environment, the file roots, and the `core run` / `provider run`
 * arguments an operator would type.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Identity } from '../../../src/crypto/identity.js';

export type ProviderName = 'hippo' | 'aau';

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** SHA-256 of every file under `dir` by relative path (empty when `dir` does not exist). */
export { treeDigest as digestTree } from '../../transfer/integration/world.js';

export interface TransferWorld {
  /** The client's environment: config folder, core and alice's identity. */
  readonly env: Record<string, string>;
  /** Each provider's folder of files (`--root`), with /4123 at hippo and /5243/inbox at aau made. */
  readonly files: Record<ProviderName, string>;
  /** `127.0.0.1:<port>` of a party. */
  address(party: 'core' | ProviderName): string;
  /** `core run` with both providers, both drives, alice and her grants. */
  coreArgs(): string[];
  /** `provider run` for `provider`, its peer the other one, then `extra`. */
  providerArgs(provider: ProviderName, extra?: readonly string[]): string[];
}

/** Makes the parties' identities and folders under `root`. */
export async function transferWorld(root: string): Promise<TransferWorld> {
  const keys = { core: Identity.generate(), hippo: Identity.generate(), aau: Identity.generate(), alice: Identity.generate() };
  for (const party of ['core', 'hippo', 'aau'] as const) {
    mkdirSync(join(root, party));
    await keys[party].save(join(root, party, 'identity.pem'));
  }
  await keys.alice.save(join(root, 'alice.pem'));
  const port = { core: await freePort(), hippo: await freePort(), aau: await freePort() };
  const address = (p: keyof typeof port): string => `127.0.0.1:${port[p]}`;
  const ref = (p: ProviderName): string => `${p}=${keys[p].id}@${address(p)}`;
  const core = `${keys.core.id}@${address('core')}`;
  const files = { hippo: join(root, 'hippo-files'), aau: join(root, 'aau-files') };
  mkdirSync(join(files.hippo, '4123'), { recursive: true });
  mkdirSync(join(files.aau, '5243', 'inbox'), { recursive: true });
  return {
    env: { HANDOFF_CONFIG_DIR: join(root, 'config'), HANDOFF_CORE: core, HANDOFF_IDENTITY: join(root, 'alice.pem') },
    files,
    address,
    coreArgs: () => [
      'core', 'run', '--dir', join(root, 'core'), '--address', address('core'), '--provider', ref('hippo'), '--provider', ref('aau'),
      '--drive', '4123=hippo', '--drive', '5243=aau', '--user', `alice=${keys.alice.id}`, '--grant', 'alice:4123:read', '--grant', 'alice:5243:read+edit',
    ],
    providerArgs: (p, extra = []) => [
      'provider', 'run', '--dir', join(root, p), '--id', p, '--core', core, '--root', files[p], '--address', address(p),
      '--peer', ref(p === 'hippo' ? 'aau' : 'hippo'), ...extra,
    ],
  };
}
