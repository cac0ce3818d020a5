/** What `handoff satellite run` and `handoff node run` share: data directories, identities, closing in order. */
import { existsSync } from 'node:fs';
import { Identity } from '../crypto/identity.js';
import type { SatelliteStoreOptions } from '../satellite/store.js';
import { EXIT_POLICIES, type ExitPolicy } from '../exit/types.js';
import { UsageError } from './args.js';
import { lockDataDirectory, makeDirectory } from './data-dir.js';

type Out = (line: string) => void;

/** Runs `body`; the `closers` it registers run in reverse order when it ends, however it ends. */
export async function withClosers(body: (closers: Array<() => unknown>) => Promise<void>): Promise<void> {
  const closers: Array<() => unknown> = [];
  try {
    await body(closers);
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

/**
 * Runs `body` {@link withClosers} with `dir` created and locked for this process; the lock goes
 * last (or with the process).
 */
export async function withDataDirectory(dir: string, command: string, body: (closers: Array<() => unknown>) => Promise<void>): Promise<void> {
  makeDirectory(dir);
  const lock = lockDataDirectory(dir, command);
  const release = (): void => lock.release();
  process.once('exit', release); // a process that exits without closing (a second Ctrl-C) leaves no lock
  try {
    await withClosers(body);
  } finally {
    process.off('exit', release);
    release();
  }
}

/** Loads the identity at `path`, creating it (and saying so) when it does not exist yet. */
export async function loadOrCreate(path: string, out: Out): Promise<Identity> {
  if (existsSync(path)) return Identity.load(path);
  const identity = Identity.generate();
  await identity.save(path);
  out(`created identity ${identity.id} in ${path} (back this file up: it is who you are on the network)`);
  return identity;
}

export function storeOption(spec: string): SatelliteStoreOptions {
  if (spec === 'memory') return { kind: 'memory' };
  if (spec.startsWith('sqlite:')) return { kind: 'sqlite', dir: spec.slice('sqlite:'.length) };
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) return { kind: 'postgres', connectionString: spec };
  throw new UsageError(`--store is memory, sqlite:<dir> or a postgres:// URL, got ${JSON.stringify(spec)}`);
}

export function exitPolicy(text: string): ExitPolicy {
  if (!(EXIT_POLICIES as readonly string[]).includes(text)) throw new UsageError(`--exit-policy is ${EXIT_POLICIES.join(' or ')}, got ${JSON.stringify(text)}`);
  return text as ExitPolicy;
}


/** A store spec fit to print: a PostgreSQL URL's password replaced by `***`. */
export function redactStore(spec: string): string {
  if (!/^postgres(ql)?:\/\//.test(spec)) return spec;
  try {
    const url = new URL(spec);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://… (unreadable URL)';
  }
}
