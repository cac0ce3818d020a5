/**
 * The accesses saved in the user's handoff directory: `accesses.json`, mode 0600 in a 0700
 * directory, written whole (a temporary file renamed over it) so a crash never leaves half a file.
 * Each access is kept as its exported string, so the file and `access export` agree.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AccessError, decodeAccess, encodeAccess, type Access } from './grant.js';

/** A name for an access: letters, digits, `.`, `_`, `-`, at most 64. */
export const ACCESS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface AccessFile {
  version: 1;
  /** The access commands use without `--access`. */
  default: string | null;
  accesses: Record<string, string>;
}

/** The accesses file of a handoff directory. */
export class AccessStore {
  readonly path: string;
  readonly #dir: string;

  constructor(configDir: string) {
    this.#dir = configDir;
    this.path = join(configDir, 'accesses.json');
  }

  #read(): AccessFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, default: null, accesses: {} };
      throw new AccessError(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const value = JSON.parse(text) as Partial<AccessFile>;
      if (value.version !== 1 || typeof value.accesses !== 'object' || value.accesses === null) throw new Error('unknown layout');
      return { version: 1, default: typeof value.default === 'string' ? value.default : null, accesses: { ...value.accesses } };
    } catch (err) {
      throw new AccessError(`${this.path} is damaged (${(err as Error).message}); move it away and import your accesses again`, { cause: err });
    }
  }

  #write(file: AccessFile): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const draft = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(draft, 0o600); // whatever the umask
    renameSync(draft, this.path);
  }

  /** Every saved access by name, and which one is the default. */
  list(): { names: string[]; defaultName: string | null } {
    const file = this.#read();
    return { names: Object.keys(file.accesses).sort(), defaultName: file.default };
  }

  /** The access saved as `name`; `AccessError` when there is none. */
  get(name: string): Access {
    const text = this.#read().accesses[name];
    if (text === undefined) throw new AccessError(`no access named ${JSON.stringify(name)} (handoff access list shows them; handoff access new or import makes one)`);
    return decodeAccess(text);
  }

  /** Saves `access` as `name`; the first one saved becomes the default. Refuses to replace one unless `replace`. */
  save(name: string, access: Access, replace = false): { madeDefault: boolean } {
    if (!ACCESS_NAME.test(name)) throw new AccessError(`an access name is letters, digits, ".", "_" or "-" (at most 64), got ${JSON.stringify(name)}`);
    const file = this.#read();
    if (file.accesses[name] !== undefined && !replace) throw new AccessError(`an access named ${JSON.stringify(name)} exists; pick another name or pass --force to replace it`);
    file.accesses[name] = encodeAccess(access);
    const madeDefault = file.default === null || file.accesses[file.default] === undefined;
    if (madeDefault) file.default = name;
    this.#write(file);
    return { madeDefault };
  }

  /** Makes `name` the default access. */
  use(name: string): void {
    const file = this.#read();
    if (file.accesses[name] === undefined) throw new AccessError(`no access named ${JSON.stringify(name)} (handoff access list shows them)`);
    file.default = name;
    this.#write(file);
  }

  /** Forgets `name` (the default too, if it was). */
  remove(name: string): void {
    const file = this.#read();
    if (file.accesses[name] === undefined) throw new AccessError(`no access named ${JSON.stringify(name)} (handoff access list shows them)`);
    delete file.accesses[name];
    if (file.default === name) file.default = null;
    this.#write(file);
  }

  /** The access a command uses: `given` (a saved name, or an exported `hfa1…` string), else the default. */
  resolve(given: string | undefined): { name: string; access: Access } {
    if (given !== undefined && given.startsWith('hfa1')) return { name: '(given on the command line)', access: decodeAccess(given) };
    if (given !== undefined) return { name: given, access: this.get(given) };
    const { default: name } = this.#read();
    if (name === null) throw new AccessError('no access to use: make one with handoff access new NAME --satellite <id>@<host:port> --api-key KEY (or pass --access)');
    return { name, access: this.get(name) };
  }
}
