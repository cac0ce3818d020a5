import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transportSuite } from '../../src/testing/suites.js';
import { memoryNetwork, tcpTransport, webSocketTransport } from '../../src/transport/index.js';

transportSuite('memory', {
  async setup(limits) {
    const net = memoryNetwork(limits);
    return { listener: net.transport({ host: 'server' }), dialer: net.transport({ host: 'client' }), address: 'server:0', unreachableAddress: 'nobody:1' };
  },
});

transportSuite('tcp', {
  async setup(limits) {
    const t = tcpTransport(limits);
    return { listener: t, dialer: t, address: '127.0.0.1:0', unreachableAddress: '127.0.0.1:1' };
  },
});

function selfSignedCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'handoff-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=handoff-test', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

const tls = selfSignedCertificate();
transportSuite('tcp+tls', {
  async setup(limits) {
    const t = tcpTransport({ ...limits, tls });
    return { listener: t, dialer: t, address: '127.0.0.1:0', unreachableAddress: '127.0.0.1:1' };
  },
});

transportSuite('websocket', {
  async setup(limits) {
    const t = webSocketTransport(limits);
    return { listener: t, dialer: t, address: '127.0.0.1:0', unreachableAddress: '127.0.0.1:1' };
  },
});
