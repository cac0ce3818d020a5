/**
 * Accesses as the CLI keeps and shares them: the exported string reads back exactly, and
 * anything else — random text, a damaged or forged string — is an `AccessError`, never a crash;
 * the file is 0600; restrictions only narrow, and are checked on every use.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAllowed, decodeAccess, encodeAccess, MAX_ACCESS_LENGTH, type Access } from '../../src/cli/access/grant.js';
import { readHidden, readPassphrase } from '../../src/cli/access/passphrase.js';
import { restrictAccess, restrictionsOfKey } from '../../src/cli/access/restrict.js';
import { AccessStore } from '../../src/cli/access/store.js';
import type { CliIo } from '../../src/cli/command.js';
import { Identity } from '../../src/crypto/identity.js';
import { generateApiKey } from '../../src/projects/api-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const satellite = `${Identity.generate().id}@127.0.0.1:7777`;

const accessArb: fc.Arbitrary<Access> = fc.record({
  satellite: fc.constant(satellite),
  apiKey: fc.constant(generateApiKey()),
  rootKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  restrictions: fc.record(
    {
      readOnly: fc.constant(true),
      bucket: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/),
      notAfter: fc.integer({ min: 0, max: 2 ** 45 }),
    },
    { requiredKeys: [] },
  ),
});

function expectAccessError(text: string): void {
  try {
    decodeAccess(text);
  } catch (err) {
    expect((err as Error).name).toBe('AccessError');
    return;
  }
  throw new Error(`decoded ${JSON.stringify(text.slice(0, 80))}`);
}

describe('an exported access', () => {
  it('reads back as the access it was made from', () => {
    fc.assert(
      fc.property(accessArb, (access) => {
        const back = decodeAccess(encodeAccess(access));
        expect(back.satellite).toBe(access.satellite);
        expect(back.apiKey).toBe(access.apiKey);
        expect(Buffer.from(back.rootKey).equals(Buffer.from(access.rootKey))).toBe(true);
        expect(back.restrictions).toEqual(access.restrictions);
      }),
    );
  });

  it('refuses random text, and any string but the access with a changed character, with an AccessError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => expectAccessError(text)));
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => expectAccessError(`hfa1${text}`)));
    const good = encodeAccess({ satellite, apiKey: generateApiKey(), rootKey: new Uint8Array(32).fill(7), restrictions: { readOnly: true } });
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.constantFrom(...'ABCxyz019-_=+/!'.split('')), (at, ch) => {
        const forged = good.slice(0, at) + ch + good.slice(at + 1);
        if (forged === good) return;
        try {
          const read = decodeAccess(forged);
          // A change that still decodes must still be a complete, checked access.
          expect(read.rootKey.length).toBe(32);
        } catch (err) {
          expect((err as Error).name).toBe('AccessError');
        }
      }),
    );
  });

  it('refuses forged JSON inside the envelope: wrong types, unknown restrictions, a key of the wrong size, oversized', () => {
    const wrap = (value: unknown): string => `hfa1${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
    const base = { v: 1, satellite, apiKey: generateApiKey(), rootKey: Buffer.alloc(32).toString('base64url'), restrictions: {} };
    expect(() => decodeAccess(wrap(base))).not.toThrow();
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('v', 'satellite', 'apiKey', 'rootKey', 'restrictions'), fc.anything()), (changes) => {
        const text = wrap({ ...base, ...changes });
        try {
          decodeAccess(text);
        } catch (err) {
          expect((err as Error).name).toBe('AccessError');
        }
      }),
    );
    expectAccessError(wrap({ ...base, restrictions: { admin: true } }));
    expectAccessError(wrap({ ...base, rootKey: Buffer.alloc(31).toString('base64url') }));
    expectAccessError(wrap({ ...base, satellite: 'localhost:7777' }));
    expectAccessError(`hfa1${'A'.repeat(MAX_ACCESS_LENGTH)}`);
  });
});

describe('restrictions', () => {
  const access = (restrictions: Access['restrictions']): Access => ({ satellite, apiKey: generateApiKey(), rootKey: new Uint8Array(32), restrictions });

  it('a read-only access reads and never writes', () => {
    const a = access({ readOnly: true });
    expect(() => checkAllowed(a, { write: false, bucket: 'b1', key: 'x' }, 0)).not.toThrow();
    expect(() => checkAllowed(a, { write: true, bucket: 'b1', key: 'x' }, 0)).toThrow(/read-only/);
  });

  it('a bucket-and-prefix access reaches only keys under its prefix, and lists down to it', () => {
    const a = access({ bucket: 'photos', prefix: '2024/' });
    expect(() => checkAllowed(a, { write: true, bucket: 'photos', key: '2024/a.jpg' }, 0)).not.toThrow();
    expect(() => checkAllowed(a, { write: false, bucket: 'photos', key: '' }, 0)).not.toThrow(); // ls hf://photos (narrowed when shown)
    expect(() => checkAllowed(a, { write: true, bucket: 'photos', key: '2023/a.jpg' }, 0)).toThrow(/restricted to hf:\/\/photos\/2024\//);
    expect(() => checkAllowed(a, { write: false, bucket: 'other', key: '2024/a' }, 0)).toThrow(/restricted to bucket photos/);
    expect(() => checkAllowed(a, { write: true }, 0)).toThrow(/restricted to bucket photos/); // mb
  });

  it('an expired access does nothing', () => {
    const a = access({ notAfter: 1000 });
    expect(() => checkAllowed(a, { write: false }, 999)).not.toThrow();
    expect(() => checkAllowed(a, { write: false }, 1001)).toThrow(/expired/);
  });
});

describe('restrictions in the API key', () => {
  const rootKey = new Uint8Array(32).fill(3);
  const arbRestrictions = fc.record(
    {
      readOnly: fc.constant(true),
      bucket: fc.constantFrom('photos', 'other'),
      prefix: fc.array(fc.stringMatching(/^[a-z0-9.]{1,8}$/), { minLength: 1, maxLength: 3 }).chain((parts) => fc.constantFrom(parts.join('/'), `${parts.join('/')}/`)),
      notAfter: fc.integer({ min: 0, max: 2 ** 45 }),
    },
    { requiredKeys: [] },
  ).map((r) => (r.bucket === undefined ? { ...r, prefix: undefined } : r)).map((r) => JSON.parse(JSON.stringify(r)) as Access['restrictions']);

  it('an exported restriction is a caveat in the key, and an access made from that key reads the same restrictions back', () => {
    fc.assert(
      fc.property(arbRestrictions, (restrictions) => {
        const access: Access = { satellite, apiKey: generateApiKey(), rootKey, restrictions: {} };
        const restricted = restrictAccess(access, restrictions);
        expect(restricted.apiKey.startsWith('hk1r_')).toBe(Object.keys(restrictions).length > 0);
        expect(restrictionsOfKey(restricted.apiKey, rootKey)).toEqual(restrictions);
        expect(decodeAccess(encodeAccess(restricted))).toEqual(restricted);
      }),
      { numRuns: 60 },
    );
  });

  it('narrowing twice keeps the narrowest, and a key restricted under another root key is refused clearly', () => {
    const access: Access = { satellite, apiKey: generateApiKey(), rootKey, restrictions: {} };
    const once = restrictAccess(access, { bucket: 'photos', prefix: '2024/' });
    const twice = restrictAccess(once, { bucket: 'photos', prefix: '2024/summer/', readOnly: true });
    expect(restrictionsOfKey(twice.apiKey, rootKey)).toEqual({ bucket: 'photos', prefix: '2024/summer/', readOnly: true });
    expect(() => restrictionsOfKey(twice.apiKey, new Uint8Array(32).fill(4))).toThrow(/another passphrase/);
  });
});

describe('the accesses file', () => {
  it('is 0600, never holds a passphrase, and keeps a default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handoff-access-'));
    dirs.push(dir);
    const store = new AccessStore(join(dir, 'handoff'));
    const a = { satellite, apiKey: generateApiKey(), rootKey: new Uint8Array(32).fill(1), restrictions: {} };
    expect(store.save('main', a)).toEqual({ madeDefault: true });
    expect(store.save('other', a)).toEqual({ madeDefault: false });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'handoff')).mode & 0o777).toBe(0o700);
    expect(() => store.save('main', a)).toThrow(/exists; pick another name or pass --force/);
    expect(store.resolve(undefined).name).toBe('main');
    store.use('other');
    expect(store.resolve(undefined).name).toBe('other');
    store.remove('other');
    expect(() => store.resolve(undefined)).toThrow(/no access to use/);
    expect(store.resolve('main').access.apiKey).toBe(a.apiKey);
    expect(store.resolve(encodeAccess(a)).access.apiKey).toBe(a.apiKey); // an exported string works as --access
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toMatchObject({ version: 1, default: null });
    expect(() => store.save('../evil', a)).toThrow(/an access name is/);
  });
});

describe('a passphrase typed at a terminal', () => {
  function terminal(): { io: CliIo; input: PassThrough; shown: string[]; rawModes: boolean[] } {
    const input = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode(mode: boolean): void };
    const shown: string[] = [];
    const rawModes: boolean[] = [];
    input.isTTY = true;
    input.setRawMode = (mode: boolean) => {
      rawModes.push(mode);
      shown.push(`<raw ${mode}>`);
    };
    const io: CliIo = { out: () => {}, err: () => {}, stdin: input, stdout: { write: (t) => shown.push(String(t)), isTTY: true } };
    return { io, input, shown, rawModes };
  }

  it('is read in raw mode from before the first prompt to after the last answer, keys typed ahead included, never shown', async () => {
    const { io, input, shown, rawModes } = terminal();
    const answers = readHidden(io, ['Passphrase: ', 'Passphrase again: ']);
    input.write('secreX\u007ft\rsecret\r'); // a correction, and the second answer typed ahead
    expect(await answers).toEqual(['secret', 'secret']);
    expect(rawModes).toEqual([true, false]);
    expect(shown[0]).toBe('<raw true>');
    expect(shown.join('')).not.toContain('secre');
  });

  it('Ctrl-C cancels', async () => {
    const { io, input } = terminal();
    const answers = readHidden(io, ['Passphrase: ']);
    input.write('abc\u0003');
    await expect(answers).rejects.toMatchObject({ name: 'PromptCancelled' });
  });

  it('a new access needs the same passphrase twice, and never an empty one', async () => {
    for (const [typed, message] of [
      ['one\rtwo\r', 'the two passphrases differ: nothing was saved'],
      ['\r\r', 'the passphrase is empty: nothing was saved'],
    ] as const) {
      const { io, input } = terminal();
      const read = readPassphrase({ env: {}, io, confirm: true });
      input.write(typed);
      await expect(read).rejects.toThrow(message);
    }
    const { io } = terminal();
    expect(await readPassphrase({ env: { HANDOFF_PASSPHRASE: 'from env' }, io, confirm: true })).toBe('from env');
  });
});

