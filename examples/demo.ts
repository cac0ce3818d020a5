/**
 * `npm run demo`: handoff's main jobs on embedded defaults, on this machine, explained as they
 * happen. Each part cleans up after itself.
 */
import { runStorageDemo } from './storage-demo.js';
import { runTransferDemo } from './transfer-demo.js';

const say = (line: string): void => console.log(line);

say('handoff demo\n');
say('== Storing objects on a storage network ==');
const storage = await runStorageDemo(say);
say('\n== Moving a folder from one storage provider to another ==');
const transfer = await runTransferDemo(say);
if (transfer === undefined) say('(skipped: this part needs rsync and sshd on this machine)');
say(`\nDone: ${storage.intact ? 'every byte came back intact' : 'SOMETHING CAME BACK DIFFERENT'}${transfer ? `, and the transfer ended in ${transfer.state}` : ''}.`);
if (!storage.intact || (transfer && transfer.state !== 'SUCCESS')) process.exitCode = 1;
