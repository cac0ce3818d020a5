import { afterEach, describe, expect, it } from 'vitest';
import { s } from '../../src/codec/index.js';
import { FailedPreconditionError } from '../../src/core/errors.js';
import { Identity } from '../../src/crypto/index.js';
import { RpcClient, RpcServer, streamMethod, tcpTransport } from '../../src/transport/index.js';

const Refuse = streamMethod('Streams.Refuse', s.object({ data: s.bytes() }), s.object({}));

let server: RpcServer;
let client: RpcClient;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

describe('a stream whose handler gives up early', () => {
  it('drops the client\'s further messages instead of stalling the connection, and the client sees the error', async () => {
    server = new RpcServer({ identity: Identity.generate() });
    server.stream(Refuse, async (stream) => {
      await stream.receive();
      throw new FailedPreconditionError('no more, thanks');
    });
    const listener = await server.listen(tcpTransport(), '127.0.0.1:0');
    client = new RpcClient({ transport: tcpTransport(), address: listener.address });
    const stream = await client.stream(Refuse);
    const chunk = new Uint8Array(1024 * 1024);
    // Keep sending long after the handler failed: the server must keep reading and dropping.
    for (let i = 0; i < 24; i++) await stream.send({ data: chunk });
    await stream.closeSend();
    await expect(stream.receive()).rejects.toMatchObject({ name: 'FailedPreconditionError', message: 'no more, thanks' });
  });
});
