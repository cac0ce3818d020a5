/** The uplink's dial-failure reports: a failed dial is reported once a minute per node, an aborted one never, and a report never throws. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { UnavailableError } from '../../src/core/errors.js';
import type { RpcClient } from '../../src/rpc/client.js';
import type { Transport } from '../../src/transport/types.js';
import { DialFailureReporter, reportingTransport } from '../../src/uplink/dial-failure-report.js';

const failing: Transport = {
  name: 'failing',
  listen: () => Promise.reject(new Error('not here')),
  dial: async (_address, options) => {
    if (options?.signal?.aborted) throw new UnavailableError('aborted');
    throw new UnavailableError('connection refused');
  },
};

describe('dial-failure reports', () => {
  it('a failed dial is reported for its node; a dial we aborted is not', async () => {
    const reported: Uint8Array[] = [];
    const node = new Uint8Array(32).fill(1);
    const transport = reportingTransport(failing, node, (id) => reported.push(id));
    await expect(transport.dial('n:1')).rejects.toMatchObject({ name: 'UnavailableError' });
    await expect(transport.dial('n:1', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'UnavailableError' });
    expect(reported).toEqual([node]);
  });

  it('reports each node at most once a minute, and swallows a refusal', async () => {
    const calls: Array<{ nodeId: Uint8Array; apiKey: string }> = [];
    const satellite = {
      call: async (_method: unknown, request: { header: { apiKey: string }; nodeId: Uint8Array }) => {
        calls.push({ nodeId: request.nodeId, apiKey: request.header.apiKey });
        throw new UnavailableError('satellite gone');
      },
    } as unknown as RpcClient;
    const clock = new ManualClock(1_000_000);
    const reporter = new DialFailureReporter(satellite, 'hk1_key', clock);
    const [a, b] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    reporter.report(a);
    reporter.report(a);
    reporter.report(b);
    clock.advance(59_999);
    reporter.report(a);
    clock.advance(1);
    reporter.report(a);
    await reporter.settled();
    expect(calls.map((c) => [c.nodeId[0], c.apiKey])).toEqual([[1, 'hk1_key'], [2, 'hk1_key'], [1, 'hk1_key']]);
  });
});
