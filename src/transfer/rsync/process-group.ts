/**
 * Process groups: rsync is spawned as the leader of its own group, so its ssh child is in the
 * same group and one `kill(-pgid)` reaches both. "Gone" means no live member is left: zombies
 * (already dead, waiting to be reaped by whoever inherited them) do not count.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { sleep } from '../../core/abort.js';

const HAS_PROC = existsSync('/proc/self/stat');

/** Live (non-zombie) processes in group `pgid`. Without /proc, `[pgid]` while the group answers signals. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return signalGroup(pgid, 0) ? [pgid] : [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Sends `signal` to every process of group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** True while `pid` exists and is not a zombie. */
export function isLiveProcess(pid: number): boolean {
  if (HAS_PROC) {
    const stat = readStat(pid);
    return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process's argument vector, or null when it is gone or unreadable. */
export function readCmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    if (raw.length === 0) return null;
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** The process group of `pid`, or null. */
export function processGroupOf(pid: number): number | null {
  return readStat(pid)?.pgrp ?? null;
}

/** Resolves once group `pgid` has no live member; false if that takes longer than `timeoutMs`. */
export async function waitForGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(100, delay * 2)) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= until) return false;
    await sleep(delay);
  }
}

/**
 * Stops a whole group: SIGTERM (rsync then tells its peer and the receiver keeps the partial
 * file), SIGKILL for whatever is left after `graceMs`, and waits until no member is left.
 */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitForGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupGone(pgid, 10_000);
}

interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  if (!state || !Number.isInteger(pgrp)) return null;
  return { state, pgrp };
}
