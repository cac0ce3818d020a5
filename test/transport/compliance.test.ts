import { transportSuite } from '../../src/testing/suites.js';
import { memoryNetwork, tcpTransport, webSocketTransport } from '../../src/transport/index.js';
import { selfSignedCertificate } from './support/tls.js';

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
