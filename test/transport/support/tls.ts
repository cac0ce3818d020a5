/**
 * TLS for transport tests: a throwaway certificate, and a listener with a connection dialed to it
 * that are ended after each test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { tcpTransport, type Connection, type Listener } from '../../../src/transport/index.js';

/** A self-signed P-256 certificate and its key (PEM), made by openssl for this run. */
export function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=handoff-test', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Call at a test file's top level: registers the teardown (the dialed connection reset, the
 * listener closed) and returns `dialTls`, which listens on a free port with TLS (a fresh
 * certificate), hands each accepted connection to `onConnection`, and dials it once.
 *
 * @example
 * ```ts
 * const dialTls = tlsConnectionPerTest();
 * it('sends', async () => {
 *   const dialed = await dialTls((accepted) => void accepted.receive());
 *   await dialed.send(new Uint8Array([1]));
 * });
 * ```
 */
export function tlsConnectionPerTest(): (onConnection: (connection: Connection) => void) => Promise<Connection> {
  let listener: Listener | undefined;
  let dialed: Connection | undefined;
  afterEach(async () => {
    dialed?.reset();
    await dialed?.done;
    await listener?.close();
    listener = dialed = undefined;
  });
  return async (onConnection) => {
    const transport = tcpTransport({ tls: selfSignedCertificate() });
    listener = await transport.listen('127.0.0.1:0', onConnection);
    dialed = await transport.dial(listener.address);
    return dialed;
  };
}
