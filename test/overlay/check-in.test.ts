/**
 * Storage nodes check in with the satellite: the satellite learns who they are from the
 * handshake, proves the claimed address answers as that node, and records the contact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { Identity } from '../../src/crypto/index.js';
import { checkNodeAddress } from '../../src/overlay/address.js';
import { CheckIn, type CheckInRequest, type CheckInResponse } from '../../src/overlay/checkin.js';
import { registerOverlay, type OverlayServiceOptions } from '../../src/overlay/service.js';
import { MemoryOverlayStore } from '../../src/overlay/store/memory.js';
import { memoryNetwork, RpcClient, RpcServer, type MemoryNetwork } from '../../src/transport/index.js';

const T0 = 1_700_000_000_000;

interface World {
  net: MemoryNetwork;
  store: MemoryOverlayStore;
  clock: ManualClock;
  satelliteAddress: string;
  /** A storage node: listens (so the satellite can dial back) unless told not to. */
  node(options?: { listen?: boolean }): Promise<{ identity: Identity; address: string; checkIn(request?: Partial<CheckInRequest>): Promise<CheckInResponse> }>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function world(options: Partial<OverlayServiceOptions> = {}): Promise<World> {
  const net = memoryNetwork();
  const store = new MemoryOverlayStore();
  const clock = new ManualClock(T0);
  const satellite = new RpcServer({ identity: Identity.generate() });
  registerOverlay(satellite, { store, transport: net.transport(), clock, checkInIntervalMs: 60_000, ...options });
  const { address: satelliteAddress } = await satellite.listen(net.transport(), 'satellite:0');
  closers.push(() => satellite.close());

  return {
    net,
    store,
    clock,
    satelliteAddress,
    async node({ listen = true } = {}) {
      const identity = Identity.generate();
      let address = `nowhere:${1000 + closers.length}`;
      if (listen) {
        const server = new RpcServer({ identity });
        address = (await server.listen(net.transport(), 'node:0')).address;
        closers.push(() => server.close());
      }
      const client = new RpcClient({ transport: net.transport(), address: satelliteAddress, identity });
      closers.push(() => client.close());
      return {
        identity,
        address,
        checkIn: (request = {}) => client.call(CheckIn, { address, wallet: '0xfeed', freeBytes: 10 ** 12, version: '1.0.0', ...request }),
      };
    },
  };
}

describe('Node.CheckIn', () => {
  it('registers a node under the id its handshake proved, at the address that answered as it', async () => {
    const w = await world();
    const node = await w.node();
    expect(await node.checkIn()).toEqual({ status: 'active', checkInIntervalMs: 60_000 });
    expect(await w.store.get(node.identity.id.bytes)).toMatchObject({
      id: node.identity.id.bytes,
      address: node.address,
      wallet: '0xfeed',
      freeBytes: 10 ** 12,
      version: '1.0.0',
      joinedAt: T0,
      lastContactAt: T0,
      status: 'active',
    });
  });

  it('refuses a node whose address does not answer, recording nothing', async () => {
    const w = await world();
    const node = await w.node({ listen: false });
    await expect(node.checkIn()).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    expect(await w.store.get(node.identity.id.bytes)).toBeUndefined();
  });

  it("refuses a node claiming another node's address, leaving both records as they were", async () => {
    const w = await world();
    const honest = await w.node();
    await honest.checkIn();
    const before = await w.store.get(honest.identity.id.bytes);
    const impostor = await w.node();
    w.clock.advance(60_000);
    await expect(impostor.checkIn({ address: honest.address })).rejects.toMatchObject({ name: 'PermissionDeniedError' });
    expect(await w.store.get(impostor.identity.id.bytes)).toBeUndefined();
    expect(await w.store.get(honest.identity.id.bytes)).toEqual(before);
  });

  it('refuses addresses that cannot be dialed with InvalidArgument, before dialing anything', async () => {
    const w = await world();
    const node = await w.node();
    for (const address of ['0.0.0.0:7777', 'no-port', 'two words:1', 'host:0', 'host:70000', '[::]:7777']) {
      await expect(node.checkIn({ address })).rejects.toMatchObject({ name: 'InvalidArgumentError' });
      w.clock.advance(10_000);
    }
    expect(w.net.traffic(node.address).connections).toBe(0);
    expect(await w.store.get(node.identity.id.bytes)).toBeUndefined();
  });

  it('answers a check-in that comes too soon with the status only, and records the next one', async () => {
    const w = await world();
    const node = await w.node();
    await node.checkIn();
    const dials = w.net.traffic(node.address).connections;
    w.clock.advance(5_000);
    expect(await node.checkIn({ freeBytes: 5 })).toEqual({ status: 'active', checkInIntervalMs: 60_000 });
    expect(w.net.traffic(node.address).connections).toBe(dials);
    expect(await w.store.get(node.identity.id.bytes)).toMatchObject({ freeBytes: 10 ** 12, lastContactAt: T0 });

    w.clock.advance(5_000);
    await node.checkIn({ freeBytes: 5 });
    expect(await w.store.get(node.identity.id.bytes)).toMatchObject({ freeBytes: 5, lastContactAt: T0 + 10_000 });
  });

  it('makes a node whose check-in was refused wait before trying again', async () => {
    const w = await world();
    const node = await w.node();
    await expect(node.checkIn({ address: 'nowhere:1' })).rejects.toMatchObject({ name: 'FailedPreconditionError' });
    await expect(node.checkIn()).rejects.toMatchObject({ name: 'ResourceExhaustedError' });
    w.clock.advance(10_000);
    expect(await node.checkIn()).toMatchObject({ status: 'active' });
  });

  it('tells an exiting or disqualified node its status, and a check-in does not change it', async () => {
    const w = await world();
    const node = await w.node();
    await node.checkIn();
    const id = node.identity.id.bytes;
    await w.store.setStatus({ id, from: 'active', to: 'disqualified', at: T0 + 1, reason: 'audits' });
    w.clock.advance(10_000);
    expect(await node.checkIn()).toMatchObject({ status: 'disqualified' });
    expect(await w.store.get(id)).toMatchObject({ status: 'disqualified', lastContactAt: T0 + 10_000 });
  });

  it('records without dialing back when verification is turned off', async () => {
    const w = await world({ verifyAddress: false });
    const node = await w.node({ listen: false });
    expect(await node.checkIn()).toMatchObject({ status: 'active' });
    expect(await w.store.get(node.identity.id.bytes)).toMatchObject({ address: node.address });
  });

  it('needs a transport to verify addresses', () => {
    const server = new RpcServer({ identity: Identity.generate() });
    expect(() => registerOverlay(server, { store: new MemoryOverlayStore() })).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });
});

describe('checkNodeAddress', () => {
  it('accepts host:port, bracketed IPv6 and WebSocket URLs', () => {
    for (const address of ['node1.example.com:28967', '127.0.0.1:1', '[2001:db8::1]:7777', 'ws://host.example:80/rpc', 'memory:3']) {
      expect(() => checkNodeAddress(address)).not.toThrow();
    }
  });
});
