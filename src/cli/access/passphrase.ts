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
 * Reads one line from a terminal without echoing it. Backspace edits; Enter ends; Ctrl-C
 * rejects with `PromptCancelled`; Ctrl-D (end of input) ends the line.
 */
export function readHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  io.stdout.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const wasRaw = (stdin as { isRaw?: boolean }).isRaw === true;
    stdin.setRawMode?.(true);
    stdin.resume();
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      io.stdout.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(typed);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new PromptCancelled('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
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
    const first = await readHidden(sources.io, 'Passphrase: ');
    if (first === '') throw new CommandError('the passphrase is empty: nothing was saved');
    if (sources.confirm) {
      const again = await readHidden(sources.io, 'Passphrase again: ');
      if (again !== first) throw new CommandError('the two passphrases differ: nothing was saved');
    }
    return first;
  } catch (err) {
    if (err instanceof PromptCancelled) throw new CommandError('cancelled: nothing was saved', { cause: err });
    throw err;
  }
}
