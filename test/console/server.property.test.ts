/**
 * The console's static server under hostile input: any request path maps into the assets
 * directory or nowhere, any method but GET/HEAD is refused, raw garbage and oversized requests
 * end in an error status or a closed socket, and the server keeps serving afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assetPath, serveConsole, type ConsoleServer } from '../../src/console/server.js';

let dir: string;
let assets: string;
let site: ConsoleServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handoff-console-server-'));
  assets = join(dir, 'console');
  mkdirSync(join(assets, 'assets'), { recursive: true });
  writeFileSync(join(assets, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(assets, 'assets', 'app.js'), 'export {};');
  // A secret beside the assets directory that no request may reach.
  writeFileSync(join(dir, 'secret.pem'), 'PRIVATE');
  site = await serveConsole({ address: '127.0.0.1:0', assetsDir: assets, config: { coreId: 'core-id', coreAddress: '127.0.0.1:1' } });
});

afterAll(async () => {
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One raw request; resolves with the status line's code, or 0 when the server just closed. */
function raw(bytes: string | Uint8Array): Promise<number> {
  const { port } = new URL(site.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (match) {
        resolve(Number(match[1]));
        socket.destroy();
      }
    });
    socket.on('error', () => resolve(0));
    socket.on('close', () => resolve(0));
    socket.end(bytes);
  });
}

const pathChars = fc.constantFrom('a', '.', '/', '%', '2', 'e', 'f', '\\', '\0', '?', '#', '5', 'c', '~', 'é');

it('maps any request path into the assets directory or to nothing', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.array(pathChars, { maxLength: 80 }).map((c) => '/' + c.join(''))), (path) => {
      const file = assetPath(assets, path);
      if (file !== undefined) expect(file.startsWith(assets + sep)).toBe(true);
    }),
    { numRuns: 2000 },
  );
  expect(assetPath(assets, '/')).toBe(join(assets, 'index.html'));
  expect(assetPath(assets, '/../secret.pem')).toBeUndefined();
  expect(assetPath(assets, '/%2e%2e/secret.pem')).toBeUndefined();
  expect(assetPath(assets, '/%E0%A4%A')).toBeUndefined();
});

it('answers forged paths, methods and garbage with an error or a closed socket, never a file outside, and keeps serving', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'G', 'GET\0'), fc.array(pathChars, { maxLength: 60 })).map(
          ([method, chars]) => `${method} /${chars.join('')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ),
        fc.uint8Array({ maxLength: 300 }),
        fc.constant(`GET /${'a'.repeat(4000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      ),
      async (request) => {
        const status = await raw(request);
        expect([0, 200, 400, 404, 405, 414, 431, 505]).toContain(status);
      },
    ),
    { numRuns: 150 },
  );
  expect(await raw('GET /../secret.pem HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(404);
  expect(await raw('DELETE /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toBe(405);
  const index = await fetch(site.url);
  expect(index.status).toBe(200);
  expect(await index.text()).toContain('id="app"');
  expect(await (await fetch(new URL('assets/app.js', site.url))).text()).toBe('export {};');
}, 60_000);
