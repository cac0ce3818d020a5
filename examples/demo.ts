/**
 * `npm run demo`: handoff's main jobs on embedded defaults, on this machine, explained as they
 * happen. Each part cleans up after itself.
 */
import { createInterface } from 'node:readline/promises';
import { runExitDemo } from './exit-demo.js';
import { runStorageDemo } from './storage-demo.js';
import { sshUnavailableReason } from '../src/testing/sshd.js';
import { runTransferDemo } from './transfer-demo.js';

const say = (line: string): void => console.log(line);

async function pressEnter(question: string): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    await rl.question(question);
  } finally {
    rl.close();
  }
}

say('handoff demo\n');
say('== Storing objects on a storage network ==');
const storage = await runStorageDemo(say);
say('\n== A storage node leaves a satellite gracefully ==');
const exit = await runExitDemo(say);
say('\n== Moving a folder from one storage provider to another ==');
// rsync over SSH is the reference plugin; without rsync or an sshd here the built-in plugin,
// which needs nothing outside the package, moves the folder instead.
const missing = sshUnavailableReason();
if (missing !== undefined) say(`(rsync over SSH cannot run here: ${missing}; the built-in plugin moves the folder instead)`);
// At a terminal the web console stays up until Enter; run by a script, the demo waits for nothing.
const holdConsole = process.stdin.isTTY ? () => pressEnter('Press Enter to stop the console and finish. ') : undefined;
const transfer = await runTransferDemo(say, { plugin: missing === undefined ? 'rsync' : 'builtin', holdConsole });
say(`\nDone: ${storage.intact && exit.intact ? 'every byte came back intact' : 'SOMETHING CAME BACK DIFFERENT'}, the graceful exit ${exit.outcome}${transfer ? `, and the transfer ended in ${transfer.state}` : ''}.`);
if (!storage.intact || !exit.intact || exit.outcome !== 'completed' || (transfer && transfer.state !== 'SUCCESS')) process.exitCode = 1;
