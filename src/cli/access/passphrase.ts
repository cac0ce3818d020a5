/**
 * Where a passphrase comes from: a file (`--passphrase-file`), the `HANDOFF_PASSPHRASE`
 * variable, or the terminal — typed without echo, and twice for a new access. Never from a flag:
 * a command line is visible to every user of the machine (`ps`).
 */
import { readFileSync } from 'node:fs';
import type { CliIo } from '../command.js';
import { CommandError } from '../commands/reach.js';

/** Ctrl-C at a passphrase prompt. */
export class PromptCancelled extends Error {
  override readonly name = 'PromptCancelled';
}

/**
 * Reads one line per prompt from a terminal without echoing them. The terminal is put in raw
 * mode before the first prompt is shown and left only after the last answer, so keys typed as
 * soon as a prompt appears — or ahead of the next one — are never echoed. Backspace edits; Enter
 * ends a line; Ctrl-C rejects with `PromptCancelled`; Ctrl-D (end of input) ends the line.
 */
export function readHidden(io: CliIo, prompts: readonly string[]): Promise<string[]> {
  const stdin = io.stdin;
  const wasRaw = (stdin as { isRaw?: boolean }).isRaw === true;
  stdin.setRawMode?.(true);
  stdin.resume();
  io.stdout.write(prompts[0] ?? '');
  return new Promise((resolve, reject) => {
    const answers: string[] = [];
    let typed = '';
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          io.stdout.write('\n');
          answers.push(typed);
          typed = '';
          if (answers.length === prompts.length) {
            done();
            resolve(answers);
            return;
          }
          io.stdout.write(prompts[answers.length]!);
        } else if (ch === '\u0003') {
          io.stdout.write('\n');
          done();
          reject(new PromptCancelled('cancelled'));
          return;
        } else if (ch === '\u007f' || ch === '\b') {
          typed = typed.slice(0, -1);
        } else if (ch >= ' ') {
          typed += ch;
        }
      }
    };
    stdin.on('data', onData);
  });
}

export interface PassphraseSources {
  readonly passphraseFile?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: CliIo;
  /** Ask twice at a terminal (a new access: a typo would lock its owner out). */
  readonly confirm: boolean;
}

/** The passphrase from the first source that has one; `CommandError` when none can. */
export async function readPassphrase(sources: PassphraseSources): Promise<string> {
  if (sources.passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.passphraseFile, 'utf8');
    } catch (err) {
      throw new CommandError(`cannot read the passphrase file ${sources.passphraseFile}: ${(err as Error).message}`, { cause: err });
    }
    const passphrase = text.replace(/\r?\n$/, '');
    if (passphrase === '') throw new CommandError(`the passphrase file ${sources.passphraseFile} is empty`);
    return passphrase;
  }
  const fromEnv = sources.env.HANDOFF_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (sources.io.stdin.isTTY !== true) {
    throw new CommandError('no passphrase: standard input is not a terminal; give --passphrase-file <file> or set HANDOFF_PASSPHRASE');
  }
  try {
    const [first, again] = await readHidden(sources.io, sources.confirm ? ['Passphrase: ', 'Passphrase again: '] : ['Passphrase: ']);
    if (first === '') throw new CommandError('the passphrase is empty: nothing was saved');
    if (sources.confirm && again !== first) throw new CommandError('the two passphrases differ: nothing was saved');
    return first!;
  } catch (err) {
    if (err instanceof PromptCancelled) throw new CommandError('cancelled: nothing was saved', { cause: err });
    throw err;
  }
}
