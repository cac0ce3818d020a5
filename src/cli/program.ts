/**
 * The commander program built from the command list: groups made from the commands' paths,
 * help and usage errors in plain words on the right stream, `--version`, and every option's
 * value filled from the environment and the config file when the command line leaves it out.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command as Commander, CommanderError, Option } from 'commander';
import { UsageError } from './args.js';
import { LOG_LEVELS, logger, type AnyCommand, type CliIo, type CommandContext, type LogLevel } from './command.js';
import { configValue, envName, loadConfigFile, optionScope, parseSwitch, type ConfigFile } from './config.js';
import type { StopRequest } from './stop.js';

/** What the program runs with; the real process passes its own, tests their doubles. */
export interface ProgramDeps {
  readonly io: CliIo;
  readonly stop: () => StopRequest;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly configDir: string;
}

const ENV_FOOTER = `Every option can also be set by an environment variable or the config file (see docs/cli.md).`;

/** The package's version, read from the package.json above this file (source or built). */
export function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'handoff' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** Fills each option the command line left out from its environment variable, else the config file. */
function fillFromSources(cmd: Commander, scope: string | undefined, env: ProgramDeps['env'], file: ConfigFile | undefined): void {
  for (const option of cmd.options) {
    const key = option.attributeName();
    const source = cmd.getOptionValueSource(key);
    if (source !== undefined && source !== 'default') continue;
    const name = envName(scope, key);
    const fromEnv = env[name];
    const kebab = option.long?.replace(/^--(no-)?/, '') ?? key;
    const fromFile = fromEnv === undefined ? configValue(file, scope, key, kebab) : undefined;
    const value = fromEnv ?? fromFile;
    if (value === undefined) continue;
    const where = fromEnv !== undefined ? `the environment variable ${name}` : `the config file's ${scope === undefined ? '' : `${scope}.`}${key}`;
    if (option.negate) {
      cmd.setOptionValueWithSource(key, !parseSwitch(value, where), fromEnv !== undefined ? 'env' : 'config');
    } else if (option.isBoolean()) {
      cmd.setOptionValueWithSource(key, parseSwitch(value, where), fromEnv !== undefined ? 'env' : 'config');
    } else {
      const values = Array.isArray(value) ? value.map(String) : [String(value)];
      let parsed: unknown = option.variadic ? [] : undefined;
      for (const text of values) {
        try {
          parsed = option.parseArg ? option.parseArg(text, parsed as never) : option.variadic ? [...(parsed as string[]), text] : text;
        } catch (err) {
          throw new UsageError(`${where}: ${(err as Error).message}`, { cause: err });
        }
      }
      cmd.setOptionValueWithSource(key, parsed, fromEnv !== undefined ? 'env' : 'config');
    }
  }
}

/** What each group is for, in `handoff help` (a group not listed is "the <name> commands"). */
const GROUP_SUMMARIES: Readonly<Record<string, string>> = {
  access: 'save, choose and share the accesses the object commands use',
  identity: 'make and read the identities nodes and satellites are',
  satellite: 'run a satellite and operate it: projects, API keys, nodes, exits',
  'satellite projects': "a running satellite's projects",
  'satellite keys': "the API keys of a running satellite's projects",
  'satellite report': 'reports of a running satellite',
  node: 'run a storage node and operate it: status, graceful exits',
};

/** The group command `words` names under `root`, created (as a help-only group) when missing. */
function group(root: Commander, words: readonly string[]): Commander {
  let at = root;
  words.forEach((word, i) => {
    const path = words.slice(0, i + 1).join(' ');
    at = at.commands.find((c) => c.name() === word) ?? at.command(word).description(GROUP_SUMMARIES[path] ?? `the ${path} commands`);
  });
  return at;
}

/** `handoff node run`: the words that invoke `cmd`. */
function commandLine(cmd: Commander): string {
  const words: string[] = [];
  for (let at: Commander | null = cmd; at !== null; at = at.parent) words.unshift(at.name());
  return words.join(' ');
}

/** What follows a usage error: the command's usage line and where its help is. */
function usageLines(cmd: Commander): string {
  return `usage: ${commandLine(cmd)} ${cmd.usage()}\n(${commandLine(cmd)} --help explains it)`;
}

/**
 * Runs `argv` (without the node and script paths) against `commands`; resolves with the exit
 * status: 0, 1 for a failure the command reports, 2 for a command line that is wrong.
 */
export async function runProgram(commands: readonly AnyCommand[], argv: string[], deps: ProgramDeps): Promise<number> {
  const { io } = deps;
  let status = 0;
  let running: Commander | undefined;
  const toOut = (text: string): void => void io.out(text.replace(/\n$/, ''));
  const toErr = (text: string): void => void io.err(text.replace(/\n$/, ''));
  const program = new Commander('handoff')
    .description('hand custody of data between parties of a storage network: run a satellite or a storage node, store and move files')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpCommand('help [command...]', 'explain a command')
    .option('--config <file>', 'the config file (default: config.json in the handoff directory)')
    .addOption(new Option('--log-level <level>', 'how much to say on stderr').choices(LOG_LEVELS).default('info'))
    .exitOverride()
    .showHelpAfterError('(handoff <command> --help explains it)')
    .configureOutput({ writeOut: toOut, writeErr: toErr, outputError: (text, write) => write(text.replace(/^error: /, 'handoff: ')) })
    .addHelpText('after', `\n${ENV_FOOTER}`);
  const specs = new Map<Commander, AnyCommand>();
  for (const spec of commands) {
    const parent = group(program, spec.path.slice(0, -1));
    const cmd = parent.command(spec.path.at(-1)!).description(spec.summary);
    spec.define?.(cmd);
    if (spec.details) cmd.addHelpText('after', `\n${spec.details}`);
    cmd.showHelpAfterError(usageLines(cmd));
    specs.set(cmd, spec);
    cmd.action(async () => {
      const globals = program.opts<{ logLevel: LogLevel }>();
      const context: CommandContext = { ...deps, log: logger(globals.logLevel, io.err) };
      const args = (cmd.processedArgs as unknown[]).flatMap((a) => (a === undefined ? [] : Array.isArray(a) ? a.map(String) : [String(a)]));
      status = await spec.run({ args, options: cmd.opts() as never }, context);
    });
  }
  program.hook('preAction', (_root, action) => {
    running = action;
    const globals = program.opts<{ config?: string }>();
    const config = loadConfigFile(globals.config ?? deps.env.HANDOFF_CONFIG, deps.configDir)?.values;
    fillFromSources(program, undefined, deps.env, config);
    const spec = specs.get(action);
    if (spec !== undefined) fillFromSources(action, optionScope(spec.path), deps.env, config);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version asked for are a success; any other complaint is about the command line.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      io.err(`handoff: ${err.message}`);
      io.err(running === undefined ? '(handoff --help lists the commands)' : usageLines(running));
      return 2;
    }
    throw err;
  }
}
