/**
 * A host drives the exported move machine its own way — one effect at a time, no runner from
 * this package — against a real satellite on the memory transport, with a connection that drops
 * once. The object moves whole: the machine is the protocol, not the runner.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import { MOVE_FLOW_METHODS } from '../../src/move/flow-runner.js';
import { initialMoveFlow, moveFlowTransition, type MoveCall, type MoveFlowEvent } from '../../src/move/flow.js';
import { rewrapKeyPage } from '../../src/move/client.js';
import { rekeyObject } from '../../src/uplink/encryption/index.js';
import { startMove, type MoveHarness } from './harness.js';

let sat: MoveHarness;
beforeEach(async () => {
  sat = await startMove();
  await sat.bucket('photos');
});
afterEach(async () => sat.stop());

/** Drives a move to its end, performing each effect before the next; returns the effects' kinds it saw. */
async function driveByHand(from: string, to: string, chunkSize: number, send: (call: MoveCall) => Promise<unknown>) {
  const rekey = rekeyObject(sat.rootKey, { bucket: 'photos', path: from }, { bucket: 'photos', path: to });
  let state = initialMoveFlow({
    mode: 'move', header: sat.header, bucket: 'photos', newBucket: 'photos', oldEncryptedKey: rekey.oldEncryptedKey, newEncryptedKey: rekey.newEncryptedKey, overwrite: false, chunkSize,
  });
  const seen: string[] = [];
  const events: MoveFlowEvent[] = [{ type: 'start' }];
  try {
    for (let event = events.shift(); event; event = events.shift()) {
      const step = moveFlowTransition(state, event);
      state = step.state;
      for (const effect of step.effects) {
        seen.push(effect.type === 'call' ? effect.call.step : effect.type);
        switch (effect.type) {
          case 'call': {
            const which = effect.call.step;
            events.push(await send(effect.call).then(
              (response) => ({ type: 'answered', step: which, response }) as MoveFlowEvent,
              (error: unknown) => ({ type: 'callFailed', step: which, error }) as MoveFlowEvent,
            ));
            break;
          }
          case 'rewrap':
            events.push({ type: 'rewrapped', page: await rewrapKeyPage(rekey, effect.keys), count: effect.keys.length });
            break;
          case 'rewrapMetadata': {
            const wrapped = rekey.rewrap({ encryptedKey: effect.metadataKey.encryptedMetadataKey, encryptedKeyNonce: effect.metadataKey.encryptedMetadataKeyNonce });
            events.push({ type: 'metadataRewrapped', metadataKey: { encryptedMetadataKey: wrapped.encryptedKey, encryptedMetadataKeyNonce: wrapped.encryptedKeyNonce } });
            break;
          }
          case 'scheduleRetry':
            // This host retries at once: the wait is the host's business.
            events.push({ type: 'retryDue', step: effect.step });
            break;
          case 'fail':
            throw effect.error;
          default:
            break;
        }
      }
    }
  } finally {
    rekey.dispose();
  }
  return { state, seen };
}

describe('a host driving the move machine by hand', () => {
  it('moves a chunked object with metadata whole, retrying a put whose connection dropped', async () => {
    const object = await sat.seed('photos', 'big.bin', { segments: 7, metadata: true });
    let dropped = false;
    const send = (call: MoveCall) => {
      if (call.step === 'put' && !dropped) {
        dropped = true;
        return Promise.reject(new UnavailableError('connection reset'));
      }
      return sat.client.call(MOVE_FLOW_METHODS[call.method], call.request);
    };
    const { state, seen } = await driveByHand('big.bin', 'moved.bin', 3, send);
    expect(dropped).toBe(true);
    expect(state.phase).toBe('done');
    expect(state.object).toMatchObject({ streamId: object.object.streamId, version: 1 });
    expect(seen.filter((s) => s === 'put')).toHaveLength(4); // three chunks, one sent twice
    expect(seen.filter((s) => s === 'progress')).toHaveLength(3);
    await sat.expectContent('photos', 'moved.bin', object, { bucket: 'photos', path: 'big.bin' });
    expect(await sat.objectAt('photos', 'big.bin')).toBeUndefined();
  });

  it('a destination that is taken ends the flow with the satellite\'s AlreadyExists, and nothing moves', async () => {
    const object = await sat.seed('photos', 'a.txt', { segments: 2 });
    await sat.seed('photos', 'b.txt', { segments: 1 });
    await expect(driveByHand('a.txt', 'b.txt', 10_000, (call) => sat.client.call(MOVE_FLOW_METHODS[call.method], call.request))).rejects.toMatchObject({ name: 'AlreadyExistsError' });
    await sat.expectContent('photos', 'a.txt', object);
  });
});
