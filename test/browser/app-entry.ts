/** The least a browser application imports to store objects: the uplink and the transport it dials with. */
export { Uplink } from '../../src/uplink/index.js';
export { webSocketTransport } from '../../src/transport/index.js';
