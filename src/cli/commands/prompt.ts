/** Asking the operator at a terminal, and reading which satellite they typed. */
import { createInterface } from 'node:readline/promises';
import { NodeId } from '../../crypto/node-id.js';
import type { AdminSatellite } from '../../node/admin/methods.js';
import type { CliIo } from '../command.js';

/** The satellite `text` names: its id (any case) or its exact address. */
export function matchSatellite(text: string, satellites: readonly AdminSatellite[]): AdminSatellite | undefined {
  const typed = text.trim();
  if (typed === '') return undefined;
  let id: NodeId | undefined;
  try {
    id = NodeId.parse(typed);
  } catch {
    id = undefined;
  }
  return satellites.find((s) => s.address === typed || (id !== undefined && NodeId.fromPublicKey(s.id).equals(id)));
}

/** One line typed by the operator; undefined on Ctrl-C or end of input. */
export async function ask(io: CliIo, question: string): Promise<string | undefined> {
  const rl = createInterface({ input: io.stdin, output: io.stdout as NodeJS.WritableStream, terminal: io.stdin.isTTY === true });
  const abort = new AbortController();
  rl.once('SIGINT', () => abort.abort());
  rl.once('close', () => abort.abort());
  try {
    return await rl.question(question, { signal: abort.signal });
  } catch {
    io.out('');
    return undefined;
  } finally {
    rl.close();
  }
}
