/**
 * The published shape of the package: a plain Node process imports the built `dist/` through
 * the package's own exports map (self-reference by name) and makes an RPC call across the
 * memory transport. A broken exports map, a missing entry or a bad build fails here.
 * `npm test` builds before it runs the tests.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

const script = `
import { Identity, NodeId, s } from 'handoff';
import { RpcClient, RpcServer, memoryNetwork, unaryMethod } from 'handoff/transport';
import { createTestNetwork } from 'handoff/testing';
import pkg from 'handoff/package.json' with { type: 'json' };

const Hello = unaryMethod('Package.Hello', s.object({ name: s.string() }), s.object({ greeting: s.string() }));
const net = memoryNetwork();
const server = new RpcServer({ identity: Identity.generate() });
server.unary(Hello, ({ name }, ctx) => ({ greeting: 'hello ' + name + ' from ' + NodeId.parse(ctx.peer.toString()).toString().length }));
const listener = await server.listen(net, 'server:0');
const client = new RpcClient({ transport: net, address: listener.address, expectedPeer: server.identity.id });
const reply = await client.call(Hello, { name: 'dist' });
await client.close();
await server.close();
console.log(JSON.stringify({ reply, name: pkg.name, testing: typeof createTestNetwork }));
`;

describe('the built package', () => {
  it('is built with every entry of its exports map', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { exports: Record<string, string | { import: string; types: string }> };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const files = typeof target === 'string' ? [target] : [target.import, target.types];
      for (const file of files) expect(existsSync(`${root}/${file}`), `${subpath} → ${file}`).toBe(true);
    }
  });

  it('imports by name in plain Node and makes a call over the memory transport', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout.trim())).toEqual({
      reply: { greeting: 'hello dist from 58' },
      name: 'handoff',
      testing: 'function',
    });
  });
});
