/**
 * Fixed vectors for the encryption format. They pin every label, the path encoding, the block
 * layout and the wrapping, so a change that would make old objects unreadable fails here first.
 * Every vector is checked under both crypto providers (node:crypto and @noble).
 */
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, fromHex, fromUtf8, toHex, utf8 } from '../../../src/core/bytes.js';
import { nobleCryptoProvider, nodeCryptoProvider, setCryptoProvider, type CryptoProvider } from '../../../src/crypto/index.js';
import {
  COMPONENT_ALPHABET,
  decryptMetadata,
  decryptPath,
  decryptSegment,
  deriveBucketKey,
  deriveKey,
  deriveRootKey,
  encryptPath,
  encryptSegment,
  pathContentKey,
  projectSalt,
  unwrapKey,
} from '../../../src/uplink/encryption/index.js';

const seq = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const root = seq(32);

const PATHS: Record<string, string> = {
  'a/b/c':
    'ntERt~XtXgoCcLriyVgnSfANa0eH_~udX~IuSTNq9c_EVR_1I96Fv2S/CMmhKOIrRekNnHy~eFsQca3HTvNwKhHY7s33Po5s07kOXQTaPiFwyVK/qCerERCgtBrdovvRB3rosNGT9oyNy2tIGqxbfcSJM_ErsfPCTGtWx6l',
  '': 'iVhwkM0ChEnF1MIqDwR64iOPKs8ywbdm6m7TqmIVXUOkelmc1h~t9l',
  'dir/': 'ecHm_Mimpe33ouUIjg8JnTty_Xl5i1kjLWL5u7C6ZyUN7G20u9Uye6rloG/TGbGNLpgpngjRii0oMU5rctNnySTnwxeh~UtLoNtIE3c3_H3zvdKul',
  'ünïcødé/ファイル.txt':
    'omlwt4R_5~xzypiBO7WXyaKojI~XYD1MsmZ0rGzZdI6DIKBO8afA32GBUQRe5MGMmkl9/Fb1XiJrQH79bN_~UYQ8xh38T~1pnT3fYI5buelDfjpqrFWPVbxRw7RbII4VXQ0OnizwiYWqSywO',
};

const providers: CryptoProvider[] = [nodeCryptoProvider(), nobleCryptoProvider()];

describe.each(providers)('the encryption format under the $name provider', (provider) => {
  beforeAll(() => setCryptoProvider(provider));
  afterAll(() => setCryptoProvider(undefined));

  it('derives keys as the first 32 bytes of HMAC-SHA512, with the documented labels', () => {
    expect(toHex(deriveKey(root, 'content'))).toBe('7e46e6dfc931124b8c4fc79c73847ae0bece6126d85cace883f198c4ff76cc2b');
    expect(toHex(deriveKey(root, 'content'))).toBe(toHex(hmac(sha512, root, utf8('content')).subarray(0, 32)));
    expect(toHex(deriveBucketKey(root, 'photos'))).toBe('60cff38ff4804c5249429259573a73b195347498384b2d12a9b45c7dc9735ce0');
    expect(toHex(deriveBucketKey(root, 'photos'))).toBe(toHex(deriveKey(root, 'bucket:photos')));
    const walked = ['a', 'b', 'c'].reduce((key, c) => deriveKey(key, `path:${c}`), deriveKey(root, 'bucket:photos'));
    expect(toHex(pathContentKey(root, 'photos', 'a/b/c'))).toBe(toHex(deriveKey(walked, 'content')));
    expect(toHex(pathContentKey(root, 'photos', 'a/b/c'))).toBe('3289ab8b1f4d97772d4f19bb0fe1d6010181b6eba6f386f140d8ff457cf5b14b');
  });

  it('encrypts object keys to fixed bytes and back', () => {
    for (const [path, encrypted] of Object.entries(PATHS)) {
      expect(fromUtf8(encryptPath(root, 'photos', path))).toBe(encrypted);
      expect(decryptPath(root, 'photos', utf8(encrypted))).toBe(path);
    }
  });

  it('matches an independent computation of the first component from the documented recipe', () => {
    const bucketKey = hmac(sha512, root, utf8('bucket:photos')).subarray(0, 32);
    const nonceKey = hmac(sha512, bucketKey, utf8('component-nonce')).subarray(0, 32);
    const cipherKey = hmac(sha512, bucketKey, utf8('component-cipher')).subarray(0, 32);
    const nonce = hmac(sha512, nonceKey, utf8('a')).subarray(0, 24);
    const tagFirst = xsalsa20poly1305(cipherKey, nonce).encrypt(utf8('a'));
    const raw = concatBytes(nonce, tagFirst.subarray(16), tagFirst.subarray(0, 16));
    const standard = Buffer.from(raw).toString('base64').replace(/=+$/, '');
    const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const ours = [...standard].map((ch) => COMPONENT_ALPHABET[STANDARD.indexOf(ch)]).join('');
    expect(ours).toBe(PATHS['a/b/c']!.split('/')[0]);
  });

  it('seals segment content in fixed blocks', () => {
    const contentKey = seq(32, 0x40);
    const options = { blockSize: 16, position: { part: 1, index: 2 } };
    const plaintext = utf8('the quick brown fox jumps over the lazy dog');
    const sealed =
      '2e5c5558e51dbbc8b3abfa81508a0c66a5071a01489a534af98dd2b6da2e0e61d5c10b11f8d3893163aae6bfe9914d19446564b16aae9204a0d51fed0d0aa97854b86366b1a6b680f2fa3fd103fe0e4f2c56aa3d2b2bb524d3f95e';
    expect(toHex(encryptSegment(contentKey, plaintext, options))).toBe(sealed);
    expect(fromUtf8(decryptSegment(contentKey, fromHex(sealed), plaintext.length, options))).toBe('the quick brown fox jumps over the lazy dog');
    expect(toHex(encryptSegment(contentKey, new Uint8Array(0)))).toBe('ec8ddda0ef7321bec842d6d19e85266f');
  });

  it('unwraps a fixed wrapped key and fixed encrypted metadata', () => {
    const wrappingKey = pathContentKey(root, 'photos', 'a/b/c');
    const wrapped = fromHex('786f6f5fc18145964b1788c60d04412c2fbb0ad3be986a28ae0dcc3b074b38a54340286dd24f887525c34f368b88180b');
    expect(toHex(unwrapKey(wrappingKey, wrapped, seq(24, 0x80)))).toBe(toHex(seq(32, 0x40)));
    const metadata = decryptMetadata(wrappingKey, {
      encryptedMetadata: fromHex(
        '3fe898f1d7aa9baf478b3740c695e4564440852fd8fe64ae395489a852e530381c62fcaa12fc14a2debc520a738c3f5d4f61d42a911e7f813e5736f2e05dc377e1af8c6aa69c4865c3a4d000c1c598b4a0fc4f62298d332ff28c38',
      ),
      encryptedMetadataNonce: seq(24, 0xc0),
      encryptedMetadataKey: fromHex('393511edc1c6bcd26583aba378fe54e00cb909a51a0069980e37118bdb9193c6b0ea660be35bae7bb345aa0cf6fa8a07'),
      encryptedMetadataKeyNonce: seq(24, 0xa0),
    });
    expect(metadata).toEqual({ contentType: 'text/plain', plainSize: 43, custom: { author: 'ada' } });
  });

  it('derives the project salt and a (cheap) root key to fixed bytes', async () => {
    const salt = projectSalt(seq(16, 0xa0));
    expect(toHex(salt)).toBe('20b24f1170e41ba09538626d688ac71735d603a1390d338e16c19a38456b4ede');
    const rootKey = await deriveRootKey('correct horse battery staple', salt, { memoryKiB: 64 });
    expect(toHex(rootKey)).toBe('8423ddc1b10357c4c09ca68f0843733422f95a1693ea4e894d5f985c8b29cf9a');
  });
});
