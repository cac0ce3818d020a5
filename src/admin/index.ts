/**
 * Admin endpoints: how local commands talk to a running storage node or satellite. Loopback only,
 * apart from the public port, serving the party's own identity and nobody else.
 */
export { AdminEndpoint, type AdminEndpointOptions } from './endpoint.js';
export { adminClient, type AdminClientOptions } from './client.js';
export { adminAddressFile, readAdminAddress, writeAdminAddress, AdminEndpointError, type AdminAddressRecord } from './address-file.js';
export { ownerOnly, type OwnerOnlyRegistry } from './owner-only.js';
