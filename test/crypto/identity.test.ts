import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/core/bytes.js';
import { Identity, NodeId, nobleCryptoProvider, verifySignature } from '../../src/crypto/index.js';
import { describeWith } from '../support/env.js';

const rfc8032Test1 = {
  secret: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
};
const decodeError = expect.objectContaining({ name: 'DecodeError', code: 'InvalidArgument' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'handoff-identity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('an identity', () => {
  it('is the Ed25519 key pair of its private key, and its id is the public key', () => {
    const identity = Identity.fromPrivateKey(rfc8032Test1.secret);
    expect(toHex(identity.publicKey)).toBe(rfc8032Test1.public);
    expect(identity.id.equals(NodeId.fromPublicKey(fromHex(rfc8032Test1.public)))).toBe(true);
    expect(toHex(identity.exportPrivateKey())).toBe(toHex(rfc8032Test1.secret));
  });

  it('signs messages that verify under its id and under nothing else', () => {
    const identity = Identity.generate();
    const message = utf8('piece hash of piece 7');
    const signature = identity.sign(message);
    expect(verifySignature(identity.id, message, signature)).toBe(true);
    expect(verifySignature(identity.publicKey, message, signature)).toBe(true);
    expect(nobleCryptoProvider().ed25519Verify(identity.publicKey, message, signature)).toBe(true);
    expect(verifySignature(Identity.generate().id, message, signature)).toBe(false);
    expect(verifySignature(identity.id, utf8('piece hash of piece 8'), signature)).toBe(false);
  });

  it('is a fresh key every time it is generated', () => {
    expect(Identity.generate().id.equals(Identity.generate().id)).toBe(false);
  });

  it('never shows its private key in JSON or console output', () => {
    const identity = Identity.fromPrivateKey(rfc8032Test1.secret);
    const json = JSON.stringify(identity);
    expect(json).toBe(JSON.stringify({ id: identity.id.toString() }));
    const inspect = (identity as unknown as Record<symbol, () => string>)[Symbol.for('nodejs.util.inspect.custom')]!;
    expect(inspect.call(identity)).toBe(`Identity(${identity.id})`);
  });

  it('refuses a private key that is not 32 bytes', () => {
    expect(() => Identity.fromPrivateKey(new Uint8Array(64))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', message: '"privateKey" expected 32 bytes, got 64' }),
    );
  });
});

describe('the identity file', () => {
  it('is PKCS#8 PEM after a header that names the node id, and reads back to the same identity', () => {
    const identity = Identity.generate();
    const pem = identity.toPem();
    expect(pem).toContain(`node id: ${identity.id}`);
    expect(pem).toMatch(/\n-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=]{64}\n-----END PRIVATE KEY-----\n$/);
    const again = Identity.fromPem(pem);
    expect(again.id.equals(identity.id)).toBe(true);
    expect(toHex(again.exportPrivateKey())).toBe(toHex(identity.exportPrivateKey()));
  });

  it('holds the same PKCS#8 key that node:crypto and OpenSSL use', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const identity = Identity.fromPem(pem); // no header: plain `openssl genpkey` output is accepted
    const jwk = privateKey.export({ format: 'jwk' });
    expect(toHex(identity.publicKey)).toBe(toHex(Buffer.from(jwk.x!, 'base64url')));
    expect(identity.toPem().endsWith(pem)).toBe(true);
  });

  it('saves atomically with mode 0600 and loads back', async () => {
    const identity = Identity.generate();
    const path = join(dir, 'node.pem');
    await identity.save(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(identity.toPem());
    expect((await Identity.load(path)).id.equals(identity.id)).toBe(true);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('is never silently replaced', async () => {
    const path = join(dir, 'kept.pem');
    const first = Identity.generate();
    await first.save(path);
    await expect(Identity.generate().save(path)).rejects.toMatchObject({ name: 'AlreadyExistsError' });
    expect((await Identity.load(path)).id.equals(first.id)).toBe(true);
    const second = Identity.generate();
    await second.save(path, { overwrite: true });
    expect((await Identity.load(path)).id.equals(second.id)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('reports a missing file as NotFoundError', async () => {
    await expect(Identity.load(join(dir, 'missing.pem'))).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('is an error when tampered with: any changed character of the key or the node id', async () => {
    const identity = Identity.fromPrivateKey(rfc8032Test1.secret);
    const pem = identity.toPem();
    const keyStart = pem.indexOf('-----BEGIN PRIVATE KEY-----\n') + 28;
    const idStart = pem.indexOf('node id: ') + 9;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    fc.assert(
      fc.property(fc.nat(63), fc.integer({ min: 1, max: 63 }), (offset, shift) => {
        const at = keyStart + offset;
        const changed = alphabet[(alphabet.indexOf(pem[at]!) + shift) % 64]!;
        expect(() => Identity.fromPem(pem.slice(0, at) + changed + pem.slice(at + 1))).toThrow(decodeError);
      }),
      { numRuns: 100 },
    );
    const other = Identity.generate().id.toString();
    expect(() => Identity.fromPem(pem.replace(identity.id.toString(), other))).toThrow(/names node id .* but holds the key of/);
    const typo = pem.slice(0, idStart) + (pem[idStart] === 'a' ? 'b' : 'a') + pem.slice(idStart + 1);
    expect(() => Identity.fromPem(typo)).toThrow(decodeError);
    expect(() => Identity.fromPem(pem.replace(identity.id.toString(), `${identity.id} extra`))).toThrow(/line is damaged/);

    const path = join(dir, 'tampered.pem');
    await writeFile(path, pem.replace(identity.id.toString(), other), { mode: 0o600 });
    await expect(Identity.load(path)).rejects.toMatchObject({ name: 'DecodeError', message: expect.stringContaining(path) });
  });

  it('is an error when truncated, doubled, encrypted or not a key at all', () => {
    const pem = Identity.generate().toPem();
    const cases = [
      '',
      'just some text',
      pem.slice(0, pem.length - 10),
      pem.replace(/\n[A-Za-z0-9+/=]{64}\n/, '\n'),
      pem + Identity.generate().toPem(),
      pem.replace(/[A-Za-z0-9+/=]{64}/, (b64) => b64.slice(0, 60)),
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n',
      // A P-256 key is PKCS#8 too, but not Ed25519.
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ];
    for (const text of cases) expect(() => Identity.fromPem(text), text.slice(0, 40)).toThrow(decodeError);
  });
});

function opensslUnavailable(): string | undefined {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `openssl version failed: ${probe.error?.message ?? probe.stderr}`;
}

describeWith('openssl', opensslUnavailable(), 'the identity file and OpenSSL', () => {
  it('is read by "openssl pkey" despite the header, giving the same public key', async () => {
    const identity = Identity.generate();
    const path = join(dir, 'for-openssl.pem');
    await identity.save(path);
    const out = spawnSync('openssl', ['pkey', '-in', path, '-pubout', '-outform', 'DER']);
    expect(out.status, out.stderr.toString()).toBe(0);
    expect(toHex(out.stdout.subarray(-32))).toBe(toHex(identity.publicKey));
  });
});
