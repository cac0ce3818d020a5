/**
 * Codec cost against raw msgpackr measured in the same run: what the size cap, the structural
 * scan, schema validation and the private copies add. Run alone with `npx tsx bench/codec.ts`.
 */
import { Packr, Unpackr } from 'msgpackr';
import { decodeMessage, encodeMessage, s } from '../src/codec/index.js';
import { type BenchSection, fmt, opsPerSecond } from './lib.js';

const OrderLimit = s.object({
  satelliteId: s.bytes({ length: 32 }),
  pieceId: s.bytes({ length: 32 }),
  action: s.enum(['PUT', 'GET', 'DELETE'] as const),
  limit: s.u64(),
  serial: s.u64(),
  expiresAt: s.int({ min: 0 }),
  signature: s.bytes({ length: 64 }),
});
const Piece = s.object({ pieceId: s.bytes({ length: 32 }), data: s.bytes() });

const limit = {
  satelliteId: new Uint8Array(32).fill(1),
  pieceId: new Uint8Array(32).fill(2),
  action: 'PUT' as const,
  limit: 1n << 30n,
  serial: 77n,
  expiresAt: 1_700_000_000,
  signature: new Uint8Array(64).fill(3),
};
const piece = { pieceId: new Uint8Array(32), data: new Uint8Array(2 * 1024 * 1024).fill(5) };

export async function benchCodec(ms = 1000): Promise<BenchSection> {
  const packr = new Packr({ useRecords: false });
  const unpackr = new Unpackr({ useRecords: false, int64AsType: 'bigint' });
  const rows = [];

  const smallBytes = encodeMessage(OrderLimit, limit);
  const rawSmall = await opsPerSecond(() => unpackr.unpack(packr.pack(limit)), ms);
  const oursSmall = await opsPerSecond(() => decodeMessage(OrderLimit, encodeMessage(OrderLimit, limit)), ms);
  rows.push({
    name: `order limit encode+decode+validate (${smallBytes.length} B)`,
    value: `${fmt(oursSmall)}/s`,
    baseline: `raw msgpackr pack+unpack ${fmt(rawSmall)}/s`,
    ratio: oursSmall / rawSmall,
    goal: '',
  });

  const rawBig = await opsPerSecond(() => unpackr.unpack(packr.pack(piece)), ms);
  const oursBig = await opsPerSecond(() => decodeMessage(Piece, encodeMessage(Piece, piece)), ms);
  const borrowedBig = await opsPerSecond(() => decodeMessage(Piece, encodeMessage(Piece, piece), { copyBytes: false }), ms);
  rows.push({
    name: '2 MiB piece encode+decode (decoded bytes copied)',
    value: `${fmt(oursBig)}/s`,
    baseline: `raw msgpackr ${fmt(rawBig)}/s`,
    ratio: oursBig / rawBig,
    goal: '',
  });
  rows.push({
    name: '2 MiB piece encode+decode (copyBytes: false)',
    value: `${fmt(borrowedBig)}/s`,
    baseline: `raw msgpackr ${fmt(rawBig)}/s`,
    ratio: borrowedBig / rawBig,
    goal: '',
  });

  return {
    title: 'Codec',
    rows,
    notes: ['encode always returns a private copy; decode copies byte strings unless copyBytes is false.'],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = await benchCodec();
  for (const row of section.rows) console.log(`${row.name}: ${row.value} vs ${row.baseline} (×${row.ratio.toFixed(2)})`);
}
