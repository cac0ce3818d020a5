/**
 * The crypto provider's cost: the node provider against node:crypto called directly (the
 * abstraction should cost under 10%), and against the noble provider browsers use.
 */
import * as nodeCrypto from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { nobleCryptoProvider, nodeCryptoProvider, type CryptoProvider } from '../src/crypto/index.js';
import { type BenchRow, type BenchSection, fmt, opsPerSecond } from './lib.js';

const MiB = 1024 * 1024;
/** Subject and direct baseline alternate this many times; the best round of each counts. */
const ROUNDS = 3;
const ROUND_MS = 300;
const NOBLE_MS = 400;

interface Primitive {
  readonly name: string;
  /** Bytes processed per operation, for MB/s; undefined to report operations per second. */
  readonly bytes?: number;
  readonly baselineName: string;
  readonly direct: () => unknown;
  readonly viaProvider: (provider: CryptoProvider) => () => unknown;
}

function primitives(): Primitive[] {
  const mebibyte = nodeCrypto.randomBytes(MiB);
  const short = nodeCrypto.randomBytes(64);
  const key = new Uint8Array(nodeCrypto.randomBytes(32));
  const gcmNonce = new Uint8Array(12).fill(7);
  const xsalsaNonce = new Uint8Array(24).fill(7);
  const contentKey = new Uint8Array(nodeCrypto.randomBytes(32));
  const message = new Uint8Array(nodeCrypto.randomBytes(100)); // about an order limit's signed bytes
  const privateKey = new Uint8Array(nodeCrypto.randomBytes(32));
  const node = nodeCryptoProvider();
  const publicKey = node.ed25519PublicKey(privateKey);
  const signature = node.ed25519Sign(privateKey, message);
  const privateKeyObject = nodeCrypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKeyObject = nodeCrypto.createPublicKey(privateKeyObject);
  const hash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

  return [
    {
      name: 'sha256, 1 MiB',
      bytes: MiB,
      baselineName: 'node:crypto direct',
      direct: () => (hash ? hash('sha256', mebibyte, 'buffer') : nodeCrypto.createHash('sha256').update(mebibyte).digest()),
      viaProvider: (p) => () => p.sha256(mebibyte),
    },
    {
      name: 'hmacSha512, 64 B',
      baselineName: 'node:crypto direct',
      direct: () => nodeCrypto.createHmac('sha512', key).update(short).digest(),
      viaProvider: (p) => () => p.hmacSha512(key, short),
    },
    {
      name: 'ed25519 sign, 100 B',
      baselineName: 'node:crypto direct (KeyObject imported once)',
      direct: () => nodeCrypto.sign(null, message, privateKeyObject),
      viaProvider: (p) => () => p.ed25519Sign(privateKey, message),
    },
    {
      name: 'ed25519 verify, 100 B',
      baselineName: 'node:crypto direct (KeyObject imported once)',
      direct: () => nodeCrypto.verify(null, message, publicKeyObject, signature),
      viaProvider: (p) => () => p.ed25519Verify(publicKey, message, signature),
    },
    {
      name: 'aes-256-gcm seal, 1 MiB',
      bytes: MiB,
      baselineName: 'node:crypto direct',
      direct: () => {
        const cipher = nodeCrypto.createCipheriv('aes-256-gcm', key, gcmNonce);
        const body = cipher.update(mebibyte);
        cipher.final();
        return Buffer.concat([body, cipher.getAuthTag()]);
      },
      viaProvider: (p) => () => p.aeadSeal('aes-256-gcm', key, gcmNonce, mebibyte),
    },
    {
      name: 'xsalsa20-poly1305 wrap of a 32-byte key',
      baselineName: '@noble/ciphers direct (node:crypto has no XSalsa20)',
      direct: () => xsalsa20poly1305(key, xsalsaNonce).encrypt(contentKey),
      viaProvider: (p) => () => p.aeadSeal('xsalsa20-poly1305', key, xsalsaNonce, contentKey),
    },
  ];
}

function figure(opsPerSec: number, bytes: number | undefined): string {
  return bytes === undefined ? `${fmt(opsPerSec)} ops/s` : `${fmt((opsPerSec * bytes) / 1e6)} MB/s`;
}

/** Best-of-rounds ops/s for `subject` and `baseline`, measured alternately so noise hits both. */
async function interleaved(subject: () => unknown, baseline: () => unknown): Promise<[number, number]> {
  let bestSubject = 0;
  let bestBaseline = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bestBaseline = Math.max(bestBaseline, await opsPerSecond(baseline, ROUND_MS));
    bestSubject = Math.max(bestSubject, await opsPerSecond(subject, ROUND_MS));
  }
  return [bestSubject, bestBaseline];
}

/** The crypto section of bench/results.md. */
export async function benchCrypto(): Promise<BenchSection> {
  const node = nodeCryptoProvider();
  const noble = nobleCryptoProvider();
  const rows: BenchRow[] = [];
  for (const p of primitives()) {
    const viaNode = p.viaProvider(node);
    const [provider, direct] = await interleaved(viaNode, p.direct);
    rows.push({
      name: `${p.name}: node provider vs direct`,
      value: figure(provider, p.bytes),
      baseline: `${p.baselineName} ${figure(direct, p.bytes)}`,
      ratio: provider / direct,
      goal: '≥ 0.9',
    });
    const viaNoble = await opsPerSecond(p.viaProvider(noble), NOBLE_MS);
    rows.push({
      name: `${p.name}: node provider vs noble provider`,
      value: figure(provider, p.bytes),
      baseline: `noble provider ${figure(viaNoble, p.bytes)}`,
      ratio: provider / viaNoble,
      goal: '',
    });
  }
  return {
    title: 'Crypto provider',
    rows,
    notes: [
      `Provider and direct calls alternate ${ROUNDS} × ${ROUND_MS} ms; the best round of each counts, so a busy neighbour on a shared machine skews both alike.`,
      'The node provider uses @noble/ciphers for XSalsa20-Poly1305, so that row measures the wrapper (argument checks, tag-last layout) only.',
    ],
  };
}
