/**
 * Names inside a transferred entry, as both sides agree on them: a relative path of `/`-separated
 * components ('' is the entry itself), and the hidden temporary name a file is written under
 * until it is verified — which carries the task id, so a clean-up only ever removes its own.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../core/errors.js';
import type { TaskId } from '../types.js';

/** Longest component (Linux's NAME_MAX, in UTF-8 bytes). */
const MAX_COMPONENT_BYTES = 255;

/**
 * The components of a relative path; [] for ''. Refuses absolute paths, empty, `.` and `..`
 * components, NUL and over-long names with `InvalidArgumentError`: whatever the source sends
 * stays inside the entry.
 *
 * @example
 * ```ts
 * pathComponents('notes/deep/table.csv'); // ['notes', 'deep', 'table.csv']
 * pathComponents('../etc/passwd');        // throws InvalidArgumentError
 * ```
 */
export function pathComponents(path: string): string[] {
  if (path === '') return [];
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0') || Buffer.byteLength(part) > MAX_COMPONENT_BYTES) {
      throw new InvalidArgumentError(`"path" expected a relative path of plain names, got ${JSON.stringify(path.slice(0, 200))}`);
    }
  }
  return parts;
}

/** The prefix of every temporary file of `taskId`. */
export function partialPrefix(taskId: TaskId): string {
  return `.handoff-${taskId}-`;
}

/**
 * The temporary name of `name` while task `taskId` writes it, in the same folder (so the final
 * rename is atomic). Hashing the name keeps it short whatever the name's length.
 */
export function partialName(taskId: TaskId, name: string): string {
  return `${partialPrefix(taskId)}${createHash('sha256').update(name).digest('hex').slice(0, 24)}.part`;
}

/** True when `fileName` is a temporary file of `taskId`. */
export function isPartialOf(taskId: TaskId, fileName: string): boolean {
  return fileName.startsWith(partialPrefix(taskId)) && fileName.endsWith('.part');
}
