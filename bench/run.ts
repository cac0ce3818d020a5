/**
 * `npm run bench [section ...]`: runs the benchmarks and rewrites bench/results.md with the
 * sections that ran (sections not run this time keep their previous table).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { fmt, type BenchSection } from './lib.js';

const sections: Record<string, () => Promise<BenchSection>> = {
  // First: its memory row reads this process's lifetime peak, which later sections would inflate.
  move: async () => (await import('./move.js')).benchMove(),
  crypto: async () => (await import('./crypto.js')).benchCrypto(),
  codec: async () => (await import('./codec.js')).benchCodec(),
  rpc: async () => (await import('./rpc.js')).benchRpc(),
  erasure: async () => (await import('./erasure.js')).benchErasure(),
  metainfo: async () => (await import('./metainfo.js')).benchMetainfo(),
  piecestore: async () => (await import('./piecestore.js')).benchPiecestore(),
  uplink: async () => (await import('./uplink.js')).benchUplink(),
  'move-reupload': async () => (await import('./move-reupload.js')).benchMoveVsReupload(),
  'transfer-core': async () => (await import('./transfer-core.js')).benchTransferCore(),
  'transfer-rsync': async () => (await import('./transfer-rsync.js')).benchRsync(),
  'transfer-builtin': async () => (await import('./transfer-builtin.js')).benchBuiltinTransfer(),
  exit: async () => (await import('./exit.js')).benchExit(),
  repair: async () => (await import('./repair.js')).benchRepair(),
  listing: async () => (await import('./listing.js')).benchListing(),
  'cockroach-mode': async () => (await import('./cockroach-mode.js')).benchCockroachMode(),
  selection: async () => (await import('./selection.js')).benchSelection(),
  browser: async () => (await import('./browser.js')).benchBrowser(),
};

function render(section: BenchSection): string {
  const lines = [`## ${section.title}`, '', '| measure | value | baseline (same run) | ratio | goal |', '|---|---|---|---|---|'];
  for (const row of section.rows) lines.push(`| ${row.name} | ${row.value} | ${row.baseline} | ${fmt(row.ratio, 2)} | ${row.goal} |`);
  for (const note of section.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

const resultsPath = fileURLToPath(new URL('./results.md', import.meta.url));
const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(sections);
/** The sections results.md holds now, by name. */
function readBlocks(): Map<string, string> {
  let text = '';
  try {
    text = readFileSync(resultsPath, 'utf8');
  } catch {
    // No results yet.
  }
  const found = new Map<string, string>();
  for (const match of text.matchAll(/<!-- section:(\w[\w-]*) -->\n([\s\S]*?)<!-- end:\1 -->/g)) found.set(match[1]!, match[2]!);
  return found;
}
/** This run's tables; merged into the file as it is at the end, so a table written meanwhile is kept. */
const fresh = new Map<string, string>();

for (const name of names) {
  const run = sections[name];
  if (!run) throw new Error(`unknown section ${name}; known: ${Object.keys(sections).join(', ')}`);
  console.log(`running ${name} ...`);
  const section = await run();
  const text = render(section);
  console.log(text, '\n');
  fresh.set(name, `${text}\n\n_Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}._\n`);
}

const header = `# Benchmarks\n\nRatios against a baseline measured in the same run (\`npm run bench\`). Higher is better.\n\n`;
const blocks = readBlocks();
for (const [name, text] of fresh) blocks.set(name, text);
const order = [...Object.keys(sections), ...[...blocks.keys()].filter((name) => !(name in sections))];
const body = order
  .filter((name) => blocks.has(name))
  .map((name) => `<!-- section:${name} -->\n${blocks.get(name)}<!-- end:${name} -->`)
  .join('\n\n');
writeFileSync(resultsPath, `${header}${body}\n`);
