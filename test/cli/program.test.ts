/**
 * The command line itself, driven in this process through the same `main` the binary runs:
 * help and version on stdout with status 0, mistakes on stderr with status 2, every option from
 * the command line, else the environment, else the config file — and the small fixes a new user
 * asked for (units on sizes, no identity overwritten by surprise, no password echoed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessStore } from '../../src/cli/access/store.js';
import { parseSize } from '../../src/cli/args.js';
import type { CliIo } from '../../src/cli/command.js';
import { envName } from '../../src/cli/config.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/index.js';
import { runProgram } from '../../src/cli/program.js';
import { redactStore } from '../../src/cli/servers.js';
import type { StopRequest } from '../../src/cli/stop.js';
import { Identity } from '../../src/crypto/identity.js';
import { generateApiKey } from '../../src/projects/api-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-program-'));
  dirs.push(dir);
  return dir;
}

const never = (): StopRequest => ({ requested: new Promise(() => {}), dispose: () => {} });

async function run(argv: string[], env: Record<string, string> = {}, configDir = tempDir()): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stdin: Readable.from([]), stdout: { write: () => true, isTTY: false } };
  const code = await main(argv, io, never, { env, configDir });
  return { code, out, err };
}

describe('the handoff command line', () => {
  it('prints help for every command and group on stdout with status 0', async () => {
    for (const argv of [['--help'], ['help'], ['satellite', 'run', '--help'], ['node', '--help'], ['cp', '--help'], ['help', 'access', 'new'], ['satellite', 'keys', '--help']]) {
      const { code, out, err } = await run(argv);
      expect(code, argv.join(' ')).toBe(0);
      expect(out.join('\n'), argv.join(' ')).toMatch(/Usage: handoff/);
      expect(err).toEqual([]);
    }
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, out: [pkg.version], err: [] });
  });

  it('says what is wrong on stderr with status 2: unknown commands and options, missing arguments, a group alone', async () => {
    for (const argv of [['frobnicate'], ['cp', '--nope', 'a', 'b'], ['mb'], ['node'], ['satellite', 'run', '--log-level', 'loud']]) {
      const { code, out, err } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(out, argv.join(' ')).toEqual([]);
      expect(err.join('\n'), argv.join(' ')).not.toBe('');
    }
  });

  it('does not start a bare satellite run: it asks where to keep the identity and data, and writes nothing', async () => {
    const { code, err } = await run(['satellite', 'run']);
    expect(code).toBe(2);
    expect(err[0]).toBe('handoff: say where the satellite keeps its identity and data: --dir <dir> (or both --identity <file> and --store <spec>)');
    expect(existsSync('satellite-identity.pem')).toBe(false);
  });

  it('refuses a size without its unit, and reads decimal and binary units', async () => {
    expect(parseSize('10 GB')).toBe(10e9);
    expect(parseSize('10GiB')).toBe(10 * 2 ** 30);
    expect(parseSize('1.5TB')).toBe(1.5e12);
    expect(parseSize('0')).toBe(0);
    expect(() => parseSize('10', 'capacity')).toThrow('--capacity is a size with its unit, like 10GB or 512MiB, got "10"');
    const satellite = `${Identity.generate().id}@127.0.0.1:1`;
    const { code, err } = await run(['node', 'run', '--dir', join(tempDir(), 'n'), '--satellite', satellite, '--capacity', '10']);
    expect(code).toBe(2);
    expect(err[0]).toBe('handoff: --capacity is a size with its unit, like 10GB or 512MiB, got "10"');
    const badRef = await run(['node', 'run', '--dir', join(tempDir(), 'n'), '--satellite', `${'a'.repeat(58)}@127.0.0.1:1`]);
    expect(badRef.code).toBe(2);
    expect(badRef.err[0]).toMatch(/is not a satellite id/);
  });

  it('does not overwrite an identity unless told to with --force', async () => {
    const file = join(tempDir(), 'id.pem');
    const first = await run(['identity', 'new', file]);
    expect(first.code).toBe(0);
    const again = await run(['identity', 'new', file]);
    expect(again).toEqual({ code: 1, out: [], err: [`handoff: ${file} already exists; keep it, or pass --force to replace it (the node id it holds is then lost)`] });
    expect((await run(['identity', 'show', file])).out).toEqual(first.out);
    const forced = await run(['identity', 'new', file, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).not.toEqual(first.out);
  });

  it('never prints a PostgreSQL password', () => {
    expect(redactStore('postgresql://handoff:s3cret@db:5432/handoff')).toBe('postgresql://handoff:***@db:5432/handoff');
    expect(redactStore('sqlite:./satellite')).toBe('sqlite:./satellite');
  });

  it('takes every option from the command line, else the environment, else the config file', async () => {
    const configDir = tempDir();
    const file = join(configDir, 'config.json');
    // node exit-status --dir: the config file names one directory, the environment another.
    writeFileSync(file, JSON.stringify({ node: { dir: join(configDir, 'from-config') } }));
    expect(envName('node', 'dir')).toBe('HANDOFF_NODE_DIR');
    const fromConfig = await run(['node', 'exit-status'], {}, configDir);
    expect(fromConfig.err[0]).toContain(join(configDir, 'from-config'));
    const fromEnv = await run(['node', 'exit-status'], { HANDOFF_NODE_DIR: join(configDir, 'from-env') }, configDir);
    expect(fromEnv.err[0]).toContain(join(configDir, 'from-env'));
    const fromFlag = await run(['node', 'exit-status', '--dir', join(configDir, 'from-flag')], { HANDOFF_NODE_DIR: join(configDir, 'from-env') }, configDir);
    expect(fromFlag.err[0]).toContain(join(configDir, 'from-flag'));

    // Switches read true/false words; a wrong value is a usage error naming where it came from.
    const badSwitch = await run(['identity', 'new', join(configDir, 'x.pem')], { HANDOFF_IDENTITY_FORCE: 'perhaps' }, configDir);
    expect(badSwitch.code).toBe(2);
    expect(badSwitch.err[0]).toBe('handoff: the environment variable HANDOFF_IDENTITY_FORCE is a switch (true or false), got "perhaps"');

    // A config file that is not JSON is named.
    writeFileSync(file, '{ not json');
    const broken = await run(['node', 'exit-status'], {}, configDir);
    expect(broken.code).toBe(2);
    expect(broken.err[0]).toMatch(new RegExp(`^handoff: the config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON`));
    // --config names another file; HANDOFF_CONFIG too.
    const other = join(configDir, 'other.json');
    writeFileSync(other, JSON.stringify({ node: { dir: join(configDir, 'from-other') } }));
    expect((await run(['--config', other, 'node', 'exit-status'], {}, configDir)).err[0]).toContain('from-other');
    expect((await run(['node', 'exit-status'], { HANDOFF_CONFIG: other }, configDir)).err[0]).toContain('from-other');
  });

  it('keeps debug lines off stderr unless --log-level debug', async () => {
    const configDir = tempDir();
    expect(await run(['ls'], {}, configDir)).toMatchObject({ code: 1, err: ['handoff: no access to use: make one with handoff access new NAME --satellite <id>@<host:port> --api-key KEY (or pass --access)'] });
    const satellite = `${Identity.generate().id}@127.0.0.1:1`;
    new AccessStore(configDir).save('main', { satellite, apiKey: generateApiKey(), rootKey: new Uint8Array(32), restrictions: {} });
    const quiet = await run(['ls'], {}, configDir);
    expect(quiet.code).toBe(1);
    expect(quiet.err).toHaveLength(1);
    expect(quiet.err[0]).toMatch(/^handoff: cannot reach the satellite at 127\.0\.0\.1:1/);
    const loud = await run(['--log-level', 'debug', 'ls'], {}, configDir);
    expect(loud.err).toEqual([`using access main (satellite ${satellite})`, quiet.err[0]]);
  });

  it.runIf(spawnSync('bash', ['--version']).status === 0)('prints a bash completion that completes commands, sub-commands and options', async () => {
    const { code, out } = await run(['completion', 'bash']);
    expect(code).toBe(0);
    const complete = (words: string[]): string => {
      const script = `${out.join('\n')}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _handoff; echo "\${COMPREPLY[@]}"`;
      return spawnSync('bash', ['-c', script], { encoding: 'utf8' }).stdout.trim();
    };
    expect(complete(['handoff', 'sat'])).toBe('satellite');
    expect(complete(['handoff', 'satellite', 'keys', '']).split(' ').sort()).toEqual(['create', 'list', 'revoke']);
    expect(complete(['handoff', 'cp', '--rec'])).toBe('--recursive');
    expect(complete(['handoff', 'access', 'new', '--api'])).toBe('--api-key');
  });

  it("accepts every handoff command line the README and docs/cli.md show", async () => {
    // The commands with their work replaced by nothing: only the command line is judged here.
    const parsed = COMMANDS.map((spec) => ({ ...spec, run: async () => 0 }));
    const satellite = Identity.generate().id.toString();
    const lines = ['README.md', 'docs/cli.md'].flatMap((file) => {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.replace(/\\\n\s*/g, ' ').split('\n')); // a line ending in \ continues
    });
    const commandLines = lines
      .map((line) => line.replace(/^for .*; do (handoff .*) & done$/, '$1').replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('handoff '))
      .map((line) => line.replace(/<id>/g, satellite).replace(/hk1_…/g, `hk1_${'a'.repeat(52)}`).replace(/\$i/g, '1').replace(/ \[--json\]/g, ' --json'));
    expect(commandLines.length).toBeGreaterThan(20);
    for (const line of commandLines) {
      const err: string[] = [];
      const io: CliIo = { out: () => {}, err: (l) => err.push(l), stdin: Readable.from([]), stdout: { write: () => true } };
      const words = [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!); // a shell's quoting, simply
      const code = await runProgram(parsed, words.slice(1), { io, stop: never, env: {}, configDir: tempDir() });
      expect({ line, code, err }).toEqual({ line, code: 0, err: [] });
    }
  });
});

