/**
 * `npm run demo`: handoff's main jobs on embedded defaults, on this machine, explained as they
 * happen. Each part cleans up after itself.
 */
import { runTransferDemo } from './transfer-demo.js';

const say = (line: string): void => console.log(line);

say('handoff demo\n');
say('== Moving a folder from one storage provider to another ==');
const transfer = await runTransferDemo(say);
if (transfer === undefined) say('(skipped: this part needs rsync and sshd on this machine)');
say('\nDone.');
