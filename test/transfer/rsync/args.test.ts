import { describe, expect, it } from 'vitest';
import { knownHostsLine, parseRsyncEndpoint, rsyncArguments, sshCommandLine, type RsyncInvocation } from '../../../src/transfer/rsync/args.js';

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq3vyZ8Rk1g0yq2p6hYxkR2m8fP0c2b7b3s0oZt2p7J';
const invocation: RsyncInvocation = {
  sourcePath: '/data/a/project/',
  endpoint: { host: 'b.example.org', port: 2222, user: 'transfer', hostKey, remotePath: '.' },
  privateKeyPath: '/var/lib/im/keys/task-7/key',
  knownHostsPath: '/var/lib/im/state/task-7/known_hosts',
  verifyChecksums: false,
};

describe('the rsync command line', () => {
  it('is an argument array that keeps partial files out of final names and fixes the total', () => {
    const args = rsyncArguments(invocation);
    expect(args.slice(0, 6)).toEqual(['-a', '--partial', '--delay-updates', '--no-inc-recursive', '--info=progress2', '--outbuf=L']);
    expect(args).not.toContain('--checksum');
    expect(args).not.toContain('--inplace');
    expect(args.slice(-3)).toEqual(['--', '/data/a/project', 'transfer@b.example.org:.']);
  });

  it('passes the whole ssh command as one element after -e', () => {
    const args = rsyncArguments(invocation);
    const e = args[args.indexOf('-e') + 1];
    expect(e).toBe(sshCommandLine(invocation));
    expect(e).toMatch(/^ssh -F \/dev\/null -i \/var\/lib\/im\/keys\/task-7\/key -p 2222 /);
    expect(e).toContain('-o StrictHostKeyChecking=yes');
    expect(e).toContain(`-o 'UserKnownHostsFile="/var/lib/im/state/task-7/known_hosts"'`);
    expect(e).toContain('-o BatchMode=yes');
  });

  it('asks for checksums and a bandwidth limit only when configured', () => {
    const args = rsyncArguments({ ...invocation, verifyChecksums: true, bandwidthLimitKiBps: 4096 });
    expect(args).toContain('--checksum');
    expect(args).toContain('--bwlimit=4096');
  });

  it("quotes paths for rsync's own splitting, so spaces and shell characters stay literal", () => {
    const e = sshCommandLine({ ...invocation, privateKeyPath: "/keys/it's 100% a dir; rm -rf $(x)/key" });
    expect(e).toContain("-i '/keys/it''s 100%% a dir; rm -rf $(x)/key'");
  });

  it('pins the host key for the endpoint in known_hosts form', () => {
    expect(knownHostsLine(invocation.endpoint)).toBe(`[b.example.org]:2222 ${hostKey}\n`);
    expect(knownHostsLine({ ...invocation.endpoint, port: 22 })).toBe(`b.example.org ${hostKey}\n`);
  });

  it('refuses relative sources and the root', () => {
    expect(() => rsyncArguments({ ...invocation, sourcePath: 'project' })).toThrow(/absolute/);
    expect(() => rsyncArguments({ ...invocation, sourcePath: '/' })).toThrow(/absolute/);
  });
});

describe('the receiver parameters', () => {
  const good = { host: '127.0.0.1', port: 22, user: 'root', hostKey, remotePath: '.' };

  it('are read back as an endpoint', () => {
    expect(parseRsyncEndpoint(good)).toEqual(good);
  });

  it.each([
    [{ ...good, host: 'evil host' }, /"host"/],
    [{ ...good, port: 0 }, /"port"/],
    [{ ...good, port: '22' }, /"port"/],
    [{ ...good, user: '-oProxyCommand=x' }, /"user"/],
    [{ ...good, hostKey: 'not a key at all' }, /"hostKey"/],
    [{ ...good, remotePath: '-e sh' }, /"remotePath"/],
    [{ ...good, remotePath: "a'b" }, /"remotePath"/],
  ])('refuse %j', (parameters, message) => {
    expect(() => parseRsyncEndpoint(parameters)).toThrow(message);
  });
});
