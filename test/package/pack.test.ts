/**
 * The package as users receive it (issue 14): `npm pack`, then the tarball unpacked into an
 * empty project beside only the dependencies the packed package.json declares (linked from this
 * checkout's node_modules: CI has no registry mirror of its own, and better-sqlite3's binary
 * cannot be rebuilt offline). There, with neither vitest nor @types/pg nor @types/better-sqlite3:
 *
 * - the declarations of every subpath but the adapters type-check with `skipLibCheck: false`
 *   (a pg type leaking into `handoff/transfer` fails here with TS7016);
 * - every ```ts block of the packed README type-checks, and its ```ts run blocks run;
 * - `publint --strict` and `attw` (profile esm-only: the package is ESM only) pass on the tarball.
 *
 * `npm test` builds before it runs the tests, so the pack skips `prepack` (which builds again).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docModules } from '../docs/doc-blocks.js';
import { pkg, requireBuilt, root, subpaths, type PackageJson } from './exports.js';

const run = promisify(execFile);
const bin = (name: string): string => join(root, 'node_modules/.bin', name);

/** A command's outcome, failing or not, with everything it printed. */
async function outcome(file: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}${failed.message}` };
  }
}

const ADAPTERS = /\/(sqlite|postgres|rsync|keys|builtin|fs|suites)$/;
const COMPILER_OPTIONS = {
  target: 'ES2022',
  lib: ['ES2023', 'DOM'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  noEmit: true,
  types: ['node'],
};

/** The checks share two cores with the rest of the suite: wall time is not the measure here. */
const SLOW = 120_000;

let work: string;
let project: string;
let tarball: string;
let packed: { files: { path: string }[] };
let checks: Record<'declarations' | 'readme' | 'publint' | 'attw', Promise<{ code: number; output: string }>>;

beforeAll(async () => {
  requireBuilt();
  work = mkdtempSync(join(tmpdir(), 'handoff-pack-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  const [result] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = result;
  tarball = join(work, result.filename);

  // An empty project: the tarball unpacked as node_modules/handoff, its declared dependencies
  // beside it, and @types/node, which a TypeScript user of Node installs anyway.
  project = join(work, 'project');
  const installed = join(project, 'node_modules/handoff');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as PackageJson;
  for (const dependency of [...Object.keys(manifest.dependencies), '@types/node']) {
    const link = join(project, 'node_modules', dependency);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', dependency), link);
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { handoff: `file:${tarball}` } }));

  // Every subpath but the adapters and the suites, imported by name; declarations checked too.
  const plain = subpaths.filter((s) => !ADAPTERS.test(s.name));
  mkdirSync(join(project, 'declarations'));
  writeFileSync(
    join(project, 'declarations/all.mts'),
    `${plain.map((s, i) => `import * as m${i} from '${s.name}';`).join('\n')}\nexport const modules = [${plain.map((_, i) => `m${i}`).join(', ')}];\n`,
  );
  writeFileSync(join(project, 'tsconfig.declarations.json'), JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, skipLibCheck: false, skipDefaultLibCheck: true }, include: ['declarations'] }));

  mkdirSync(join(project, 'readme'));
  for (const module of docModules('README.md', { withPreambles: true })) writeFileSync(join(project, `readme/${module.name}.mts`), module.source);
  writeFileSync(join(project, 'tsconfig.readme.json'), JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, skipLibCheck: true }, include: ['readme'] }));

  // Four independent checks; they run side by side and each test awaits its own.
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  checks = {
    declarations: outcome(process.execPath, [tsc, '-p', 'tsconfig.declarations.json'], project),
    readme: outcome(process.execPath, [tsc, '-p', 'tsconfig.readme.json'], project),
    publint: outcome(bin('publint'), ['run', tarball, '--strict'], work),
    attw: outcome(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], work),
  };
}, SLOW);

afterAll(async () => {
  if (checks) await Promise.allSettled(Object.values(checks));
  if (work) rmSync(work, { recursive: true, force: true });
}, SLOW);

describe('the packed package', () => {
  it('holds the build of every subpath, the README and package.json, and no sources or tests', () => {
    const files = packed.files.map((f) => f.path);
    for (const s of subpaths) expect(files, s.name).toEqual(expect.arrayContaining([s.js, s.dts]));
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/cli/index.js']));
    // The native erasure kernel travels as source (built where it is installed), never as a binary.
    const native = ['native/erasure/binding.c', 'native/erasure/binding.gyp', 'native/erasure/kernel-none.c', 'native/erasure/kernel.c', 'native/erasure/kernel.h'];
    expect(files.filter((f) => f.startsWith('native/')).sort()).toEqual(native);
    // The docs the README links to travel with it, and so do the console's screenshots it shows.
    expect(files.filter((f) => !f.startsWith('dist/') && !native.includes(f) && !/^docs\/([^/]+\.md|console\/[^/]+\.png)$/.test(f) && f !== 'README.md' && f !== 'package.json')).toEqual([]);
    // Packing a fresh clone builds dist first.
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  it('links from its README only to files it contains', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)[^)]*\)|`(\.\.\/[^`]+)`/g)].map((m) => m[1] ?? m[2]!);
    const local = links.filter((link) => !/^[a-z]+:/.test(link));
    expect(local.length).toBeGreaterThan(0);
    const files = packed.files.map((f) => f.path);
    const missing = local.filter((link) => {
      const path = link.replace(/^\.\//, '');
      return !files.some((f) => f === path || (path.endsWith('/') && f.startsWith(path)));
    });
    expect(missing).toEqual([]);
  });

  it('type-checks in a project without @types/pg or @types/better-sqlite3, declarations included, for every subpath but the adapters', async () => {
    const { code, output } = await checks.declarations;
    expect(output).not.toMatch(/error TS/);
    expect(code).toBe(0);
  }, SLOW);

  it('type-checks every ```ts block of its README there', async () => {
    const { code, output } = await checks.readme;
    expect(output).not.toMatch(/error TS/);
    expect(code).toBe(0);
  }, SLOW);

  it('runs the README\'s ```ts run blocks there, without vitest installed', async () => {
    const story = docModules('README.md', { withPreambles: false }).find((m) => m.name.endsWith('-run'));
    expect(story, 'the README has a runnable example').toBeDefined();
    const js = ts.transpileModule(story!.source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } }).outputText;
    writeFileSync(join(project, 'readme-run.mjs'), js);
    const { code, output } = await outcome(process.execPath, ['readme-run.mjs'], project);
    expect(code, output).toBe(0);
    // And the suites, which need vitest, say so there instead of half-working.
    const suites = await outcome(process.execPath, ['--input-type=module', '-e', "await import('handoff/testing/suites')"], project);
    expect(suites.output).toMatch(/Cannot find package 'vitest'/);
  }, SLOW);

  it('loads every subpath there with only its declared dependencies (the suites, which need vitest, aside)', async () => {
    const names = subpaths.map((s) => s.name).filter((name) => !name.endsWith('/suites'));
    const script = `for (const name of ${JSON.stringify(names)}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing'); }`;
    const { code, output } = await outcome(process.execPath, ['--input-type=module', '-e', script], project);
    expect(code, output).toBe(0);
  }, SLOW);

  it('runs its command there: `handoff help` lists the commands', async () => {
    const { code, output } = await outcome(process.execPath, ['node_modules/handoff/dist/cli/index.js', 'help'], project);
    expect(code, output).toBe(0);
    expect(output).toMatch(/Usage: handoff/);
    expect(output).toMatch(/^\s+satellite\b/m);
  }, SLOW);

  it('passes publint --strict', async () => {
    const { code, output } = await checks.publint;
    expect(code, output).toBe(0);
  }, SLOW);

  it('passes attw (are the types wrong?) for an ESM-only package', async () => {
    const { code, output } = await checks.attw;
    expect(code, output).toBe(0);
  }, SLOW);
});
