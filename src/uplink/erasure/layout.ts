/**
 * Where segment bytes live in pieces. A segment is cut into stripes of `k × shareSize` bytes;
 * share `j` of stripe `s` (segment bytes `[s·k·S + j·S, s·k·S + (j+1)·S)`) is bytes
 * `[s·S, (s+1)·S)` of data piece `j`. Parity piece `i` holds, at the same offsets, the parity
 * share of the same stripe, so every stripe decodes on its own and a download can stream.
 */

/**
 * Copies `bytes`, which sit at segment offset `position` (counted from the first stripe the
 * arrays hold), into the `k` data-piece arrays `dataPieces`.
 */
export function spreadIntoShares(bytes: Uint8Array, position: number, dataPieces: readonly Uint8Array[], shareSize: number): void {
  const stripeSize = dataPieces.length * shareSize;
  let read = 0;
  let at = position;
  while (read < bytes.length) {
    const stripe = Math.floor(at / stripeSize);
    const within = at - stripe * stripeSize;
    const share = Math.floor(within / shareSize);
    const offset = within - share * shareSize;
    const run = Math.min(shareSize - offset, bytes.length - read);
    dataPieces[share]!.set(bytes.subarray(read, read + run), stripe * shareSize + offset);
    read += run;
    at += run;
  }
}

/**
 * Fills `out` with the first `out.length` segment bytes held by the `k` data-piece arrays
 * `dataPieces` (the inverse of {@link spreadIntoShares} from position 0).
 */
export function gatherFromShares(dataPieces: readonly Uint8Array[], shareSize: number, out: Uint8Array): void {
  let written = 0;
  let stripeOffset = 0;
  while (written < out.length) {
    for (const piece of dataPieces) {
      const run = Math.min(shareSize, out.length - written);
      if (run <= 0) break;
      out.set(piece.subarray(stripeOffset, stripeOffset + run), written);
      written += run;
    }
    stripeOffset += shareSize;
  }
}
