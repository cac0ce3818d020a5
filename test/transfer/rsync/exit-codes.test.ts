import { describe, expect, it } from 'vitest';
import { classifyRsyncExit } from '../../../src/transfer/rsync/exit-codes.js';

const exit = (code: number | null, stderr = '', signal: NodeJS.Signals | null = null) => ({ code, signal, stderr });

describe('how an rsync exit is classified', () => {
  it('exit 0 is success', () => {
    expect(classifyRsyncExit(exit(0))).toBeNull();
  });

  it('a full destination pauses the task, with the message rsync printed', () => {
    // Captured from rsync 3.5.0 writing into a 4 MiB tmpfs through rrsync.
    const stderr =
      'rsync: [receiver] write failed on "/tmp/exp/tiny/src/big": No space left on device (28)\n' +
      'rsync error: error in file IO (code 11) at receiver.c(657) [receiver=3.5.0]\n\n' +
      'rsync: [sender] write error: Broken pipe (32)\n';
    expect(classifyRsyncExit(exit(11, stderr))).toEqual({
      kind: 'out-of-space',
      reason: 'the destination is out of space: rsync: [receiver] write failed on "/tmp/exp/tiny/src/big": No space left on device (28)',
    });
    expect(classifyRsyncExit(exit(23, 'rsync: [receiver] mkstemp "/d/.f.XXXX" failed: Disk quota exceeded (122)\n'))?.kind).toBe('out-of-space');
  });

  it.each([10, 12, 30, 35, 23, 24, 11, 13, 14, 20, 21, 22, 99])('exit %i is retried', (code) => {
    expect(classifyRsyncExit(exit(code))?.kind).toBe('retryable');
  });

  it.each([1, 2, 3, 4, 5, 6, 25])('exit %i is fatal', (code) => {
    expect(classifyRsyncExit(exit(code))?.kind).toBe('fatal');
  });

  it('a process killed by a signal is retried', () => {
    expect(classifyRsyncExit(exit(null, '', 'SIGKILL'))).toEqual({ kind: 'retryable', reason: 'rsync was killed by SIGKILL' });
  });

  it('an unreachable destination is retried, a refused key or host key is fatal', () => {
    const refused = 'ssh: connect to host 127.0.0.1 port 22998: Connection refused\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]\n';
    expect(classifyRsyncExit(exit(255, refused))).toEqual({
      kind: 'retryable',
      reason: 'could not reach the destination over SSH: ssh: connect to host 127.0.0.1 port 22998: Connection refused',
    });
    expect(classifyRsyncExit(exit(255, 'root@127.0.0.1: Permission denied (publickey).\n'))?.kind).toBe('fatal');
    expect(classifyRsyncExit(exit(12, 'root@127.0.0.1: Permission denied (publickey).\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]\n'))?.kind).toBe('fatal');
    expect(classifyRsyncExit(exit(255, 'No ED25519 host key is known for [127.0.0.1]:22999\nHost key verification failed.\n'))?.kind).toBe('fatal');
    // A file the receiver may not write is not an SSH refusal.
    expect(classifyRsyncExit(exit(23, 'rsync: [receiver] mkstemp "/d/.f.XXXX" failed: Permission denied (13)\n'))?.kind).toBe('retryable');
  });

  it('a destination whose rrsync refuses our options is fatal', () => {
    const stderr = '/usr/bin/rrsync error: option --delete has been disabled on this server.\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]\n';
    expect(classifyRsyncExit(exit(12, stderr))).toEqual({
      kind: 'fatal',
      reason: 'the destination refused the transfer (rsync exit 12): /usr/bin/rrsync error: option --delete has been disabled on this server.',
    });
  });
});
