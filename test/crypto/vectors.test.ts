import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/core/bytes.js';
import { nobleCryptoProvider, nodeCryptoProvider, type CryptoProvider } from '../../src/crypto/index.js';

const providers: CryptoProvider[] = [nodeCryptoProvider(), nobleCryptoProvider()];

/** RFC 8032 section 7.1: TEST 1, 2, 3 and TEST SHA(abc). */
const ed25519Vectors = [
  {
    name: 'TEST 1 (empty message)',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (one byte)',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (two bytes)',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc) (64 bytes)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

/** AES-256-GCM, McGrew & Viega "The Galois/Counter Mode of Operation", test cases 13-16. */
const gcmKey15 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const gcmPlaintext15 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const gcmCiphertext15 =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
const gcmVectors = [
  { name: 'test case 13 (empty)', key: '00'.repeat(32), nonce: '00'.repeat(12), aad: '', plaintext: '', ciphertext: '', tag: '530f8afbc74536b9a963b4f1c4cb738b' },
  {
    name: 'test case 14 (one zero block)',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    aad: '',
    plaintext: '00'.repeat(16),
    ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'test case 15 (64 bytes)',
    key: gcmKey15,
    nonce: 'cafebabefacedbaddecaf888',
    aad: '',
    plaintext: gcmPlaintext15,
    ciphertext: gcmCiphertext15,
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'test case 16 (60 bytes with associated data)',
    key: gcmKey15,
    nonce: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    plaintext: gcmPlaintext15.slice(0, 120),
    ciphertext: gcmCiphertext15.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

/**
 * XSalsa20-Poly1305 from D. J. Bernstein, "Cryptography in NaCl", section 10 (also NaCl's
 * tests/secretbox.c). NaCl prints the 16-byte authenticator first; providers put it last.
 */
const secretbox = {
  key: '1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389',
  nonce: '69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37',
  plaintext:
    'be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31' +
    '0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705',
  box:
    'f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972' +
    '71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b3' +
    '7973f622a43d14a6599b1f654cb45a74e355a5',
};

describe.each(providers)('the $name provider reproduces published vectors', (provider) => {
  it('SHA-256 (FIPS 180-2 examples)', () => {
    expect(toHex(provider.sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(provider.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(provider.sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('SHA-512 of "abc" (the message of RFC 8032 TEST SHA(abc))', () => {
    expect(toHex(provider.sha512(utf8('abc')))).toBe(ed25519Vectors[3]!.message);
  });

  it('HMAC-SHA-256 and HMAC-SHA-512 (RFC 4231 test cases 1 and 2)', () => {
    const key1 = new Uint8Array(20).fill(0x0b);
    const data1 = utf8('Hi There');
    const key2 = utf8('Jefe');
    const data2 = utf8('what do ya want for nothing?');
    expect(toHex(provider.hmacSha256(key1, data1))).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(toHex(provider.hmacSha512(key1, data1))).toBe(
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    );
    expect(toHex(provider.hmacSha256(key2, data2))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(toHex(provider.hmacSha512(key2, data2))).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    );
  });

  it.each(ed25519Vectors)('Ed25519 RFC 8032 $name: public key, signature, verification', (v) => {
    const secret = fromHex(v.secret);
    const message = fromHex(v.message);
    expect(toHex(provider.ed25519PublicKey(secret))).toBe(v.public);
    expect(toHex(provider.ed25519Sign(secret, message))).toBe(v.signature);
    expect(provider.ed25519Verify(fromHex(v.public), message, fromHex(v.signature))).toBe(true);
  });

  it.each(gcmVectors)('AES-256-GCM $name', (v) => {
    const aad = v.aad === '' ? undefined : fromHex(v.aad);
    const sealed = provider.aeadSeal('aes-256-gcm', fromHex(v.key), fromHex(v.nonce), fromHex(v.plaintext), aad);
    expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
    expect(toHex(provider.aeadOpen('aes-256-gcm', fromHex(v.key), fromHex(v.nonce), sealed, aad))).toBe(v.plaintext);
  });

  it('XSalsa20-Poly1305 secretbox (Cryptography in NaCl)', () => {
    const key = fromHex(secretbox.key);
    const nonce = fromHex(secretbox.nonce);
    const box = fromHex(secretbox.box);
    const sealed = provider.aeadSeal('xsalsa20-poly1305', key, nonce, fromHex(secretbox.plaintext));
    expect(toHex(sealed)).toBe(toHex(concatBytes(box.subarray(16), box.subarray(0, 16))));
    expect(toHex(provider.aeadOpen('xsalsa20-poly1305', key, nonce, sealed))).toBe(secretbox.plaintext);
  });
});
