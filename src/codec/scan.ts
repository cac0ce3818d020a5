/**
 * A structural pre-scan of a MessagePack message, run before msgpackr decodes it.
 *
 * msgpackr is fast but permissive: it understands its own extensions (records, structured
 * clone, dates, typed arrays, ...), recurses without a depth limit and renames `__proto__`
 * keys. Scanning first lets the decoder hand msgpackr only plain, standard, bounded data, and
 * gives every malformed input a precise {@link DecodeError}. The scan is iterative and touches
 * each header once (payloads are skipped, except string bytes, which are checked for UTF-8), so
 * its cost is linear in the input and independent of nesting depth.
 *
 * @internal
 */
import { DecodeError } from '../core/errors.js';

/** `__proto__` as UTF-8: the one map key the decoder refuses (msgpackr would rename it). */
const PROTO_KEY = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f];

/**
 * Throws {@link DecodeError} unless `bytes` holds exactly one well-formed value made only of
 * nil, booleans, integers, floats, UTF-8 strings, binary, arrays and string-keyed maps, nested
 * at most `maxDepth` containers deep.
 */
export function scanMessage(bytes: Uint8Array, maxDepth: number): void {
  const end = bytes.length;
  let pos = 0;
  // Open containers: values still to read at each level; maps count keys and values, and a
  // map's key is due whenever its remaining count is even.
  const remaining: number[] = [];
  const isMap: boolean[] = [];
  let values = 1;
  let inMap = false;

  for (;;) {
    while (values === 0) {
      if (remaining.length === 0) {
        if (pos !== end) throw new DecodeError(`${end - pos} trailing bytes after the message`);
        return;
      }
      values = remaining.pop()!;
      inMap = isMap.pop()!;
    }
    const expectKey = inMap && values % 2 === 0;
    values--;
    if (pos >= end) throw truncated();
    const type = bytes[pos++]!;

    if (expectKey && !isStringType(type)) {
      throw new DecodeError(`map key at byte ${pos - 1} is not a string (type 0x${hex(type)})`);
    }

    let children = -1;
    let childIsMap = false;
    if (type <= 0x7f || type >= 0xe0 || type === 0xc0 || type === 0xc2 || type === 0xc3) {
      // fixint, nil, false, true: the header is the whole value
    } else if (type <= 0x8f) {
      children = (type & 0x0f) * 2;
      childIsMap = true;
    } else if (type <= 0x9f) {
      children = type & 0x0f;
    } else if (type <= 0xbf) {
      pos = skipString(bytes, pos, type & 0x1f, expectKey);
    } else {
      switch (type) {
        case 0xc4: pos = skipBytes(bytes, pos + 1, readLength(bytes, pos, 1)); break;
        case 0xc5: pos = skipBytes(bytes, pos + 2, readLength(bytes, pos, 2)); break;
        case 0xc6: pos = skipBytes(bytes, pos + 4, readLength(bytes, pos, 4)); break;
        case 0xcc: case 0xd0: pos = skipBytes(bytes, pos, 1); break;
        case 0xcd: case 0xd1: pos = skipBytes(bytes, pos, 2); break;
        case 0xca: case 0xce: case 0xd2: pos = skipBytes(bytes, pos, 4); break;
        case 0xcb: case 0xcf: case 0xd3: pos = skipBytes(bytes, pos, 8); break;
        case 0xd9: pos = skipString(bytes, pos + 1, readLength(bytes, pos, 1), expectKey); break;
        case 0xda: pos = skipString(bytes, pos + 2, readLength(bytes, pos, 2), expectKey); break;
        case 0xdb: pos = skipString(bytes, pos + 4, readLength(bytes, pos, 4), expectKey); break;
        case 0xdc: children = readLength(bytes, pos, 2); pos += 2; break;
        case 0xdd: children = readLength(bytes, pos, 4); pos += 4; break;
        case 0xde: children = readLength(bytes, pos, 2) * 2; pos += 2; childIsMap = true; break;
        case 0xdf: children = readLength(bytes, pos, 4) * 2; pos += 4; childIsMap = true; break;
        case 0xc7: case 0xc8: case 0xc9: case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
          throw new DecodeError(`unsupported extension at byte ${pos - 1}: messages carry no MessagePack extensions`);
        default:
          throw new DecodeError(`invalid type byte 0x${hex(type)} at byte ${pos - 1}`);
      }
    }

    if (children >= 0) {
      // Every value takes at least one byte, so a count larger than what is left is a lie;
      // rejecting it here keeps a 5-byte header from promising four billion elements.
      if (children > end - pos) throw truncated();
      if (children > 0) {
        if (remaining.length >= maxDepth) throw new DecodeError(`message nests deeper than ${maxDepth} levels`);
        remaining.push(values);
        isMap.push(inMap);
        values = children;
        inMap = childIsMap;
      }
    }
  }
}

function isStringType(type: number): boolean {
  return (type >= 0xa0 && type <= 0xbf) || type === 0xd9 || type === 0xda || type === 0xdb;
}

function readLength(bytes: Uint8Array, pos: number, size: 1 | 2 | 4): number {
  if (pos + size > bytes.length) throw truncated();
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + bytes[pos + i]!;
  return n;
}

function skipBytes(bytes: Uint8Array, pos: number, length: number): number {
  if (length > bytes.length - pos) throw truncated();
  return pos + length;
}

function skipString(bytes: Uint8Array, pos: number, length: number, isKey: boolean): number {
  const end = skipBytes(bytes, pos, length);
  if (!isValidUtf8(bytes, pos, end)) throw new DecodeError(`string at byte ${pos} is not valid UTF-8`);
  if (isKey && length === PROTO_KEY.length && PROTO_KEY.every((b, i) => bytes[pos + i] === b)) {
    throw new DecodeError('map key "__proto__" is not allowed');
  }
  return end;
}

/**
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. Checked
 * here because msgpackr's JavaScript and native string paths repair invalid input differently,
 * and two peers must read the same bytes as the same string.
 */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + need >= end) return false;
    let cp = b0 & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k]!;
      if ((b & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

function truncated(): DecodeError {
  return new DecodeError('message is truncated');
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
