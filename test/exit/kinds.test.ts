/**
 * The satellite's decisions for exits beyond the first version, on plain data: what kind of exit
 * a node may start (`decideInitiate`), keep-alives, rejoins, the time-based policy's verdict, and
 * how a `Process` stream treats partial and time-based exits.
 */
import { describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.js';
import { openSession, transition, type CoordinatorEffect } from '../../src/exit/coordinator.js';
import { signExitReceipt, verifyExitReceipt, encodeExitReceipt, decodeExitReceipt } from '../../src/exit/receipt.js';
import { decideInitiate, decideKeepAlive, decideRejoin, type ExitRequest } from '../../src/exit/requests.js';
import { judgeTimeBased, TIME_BASED_MAX_RETRY_MS, timeBasedDueAt } from '../../src/exit/time-based.js';
import { DEFAULT_EXIT_CONFIG, type ExitConfig, type ExitRecord } from '../../src/exit/types.js';
import type { NodeRecord } from '../../src/overlay/types.js';
import { DAY, NOW, exitRecord, nodeRecord } from './records.js';

const satellite = Identity.generate();
const leaving = Identity.generate();
const CONFIG: ExitConfig = { ...DEFAULT_EXIT_CONFIG, minNodeAgeMs: 30 * DAY, notReadyRetryMs: 30_000 };

const node = (changes: Partial<NodeRecord> = {}): NodeRecord => nodeRecord(leaving.publicKey, { address: 'leaving.example:7777', ...changes });
const exit = (changes: Partial<ExitRecord> = {}): ExitRecord => exitRecord(leaving.publicKey, changes);
const finished = (changes: Partial<ExitRecord> = {}): ExitRecord => exit({ finishedAt: NOW - 100, outcome: 'completed', receipt: new Uint8Array(8), ...changes });
const initiate = (request: ExitRequest, n: NodeRecord | undefined = node(), e: ExitRecord | undefined = undefined, config = CONFIG) =>
  decideInitiate({ node: n, exit: e, request, now: NOW, config });
const refusal = (code: string, message: RegExp) => ({ type: 'refuse', error: expect.objectContaining({ code, message: expect.stringMatching(message) }) });

describe('starting an exit of a kind (GracefulExit.Initiate)', () => {
  it('starts a full exit under the satellite policy, and a partial one always by transfer, with its target', () => {
    expect(initiate({ kind: 'full' })).toEqual({ type: 'start', exit: { kind: 'full', targetBytes: null, policy: 'transfer' }, archive: false });
    const timeBased = { ...CONFIG, policy: 'time-based' as const };
    expect(initiate({ kind: 'full' }, node(), undefined, timeBased)).toMatchObject({ exit: { policy: 'time-based' } });
    expect(initiate({ kind: 'partial', targetBytes: 5e9 }, node(), undefined, timeBased)).toEqual({
      type: 'start', exit: { kind: 'partial', targetBytes: 5e9, policy: 'transfer' }, archive: false,
    });
  });

  it('refuses a malformed request (a target on a full exit, none on a partial one), changing nothing', () => {
    expect(initiate({ kind: 'full', targetBytes: 10 })).toEqual(refusal('InvalidArgument', /partial exit only/));
    expect(initiate({ kind: 'partial' })).toEqual(refusal('InvalidArgument', /"targetBytes" expected/));
  });

  it('refuses an unknown, disqualified, exited or too young node, naming the rule', () => {
    expect(decideInitiate({ node: undefined, exit: undefined, request: { kind: 'full' }, now: NOW, config: CONFIG })).toEqual(refusal('PermissionDenied', /check in first/));
    expect(initiate({ kind: 'partial', targetBytes: 1 }, node({ status: 'disqualified', disqualifiedReason: 'audits' }))).toEqual(refusal('PermissionDenied', /disqualified.*audits/));
    expect(initiate({ kind: 'full' }, node({ status: 'exited' }), finished())).toEqual(refusal('FailedPrecondition', /already exited.*rejoin/));
    expect(initiate({ kind: 'full' }, node({ joinedAt: NOW - 2 * DAY }))).toEqual(refusal('FailedPrecondition', /30 days old; this one joined 2 days ago/));
  });

  it('answers the same request again with the exit in progress, and refuses another kind until it has finished', () => {
    const partial = exit({ kind: 'partial', targetBytes: 700 });
    expect(initiate({ kind: 'partial', targetBytes: 700 }, node(), partial)).toEqual({ type: 'existing', exit: partial });
    expect(initiate({ kind: 'partial', targetBytes: 800 }, node(), partial)).toEqual(refusal('FailedPrecondition', /partial exit of 700 bytes is in progress/));
    expect(initiate({ kind: 'full' }, node(), partial)).toEqual(refusal('FailedPrecondition', /in progress/));
    const full = exit();
    expect(initiate({ kind: 'full' }, node({ status: 'exiting' }), full)).toEqual({ type: 'existing', exit: full });
    expect(initiate({ kind: 'partial', targetBytes: 1 }, node({ status: 'exiting' }), full)).toEqual(refusal('FailedPrecondition', /a full exit is in progress/));
  });

  it('after a finished partial exit, or a rejoin, starts a new exit and archives the old one', () => {
    expect(initiate({ kind: 'full' }, node(), finished({ kind: 'partial', targetBytes: 5 }))).toMatchObject({ type: 'start', archive: true, exit: { kind: 'full' } });
    expect(initiate({ kind: 'partial', targetBytes: 9 }, node(), finished({ kind: 'partial', targetBytes: 5 }))).toMatchObject({ type: 'start', archive: true });
    // Rejoined, with the archive step still to do: the old exit is archived first.
    expect(initiate({ kind: 'full' }, node({ rejoinedAt: NOW - 10 }), finished())).toMatchObject({ type: 'start', archive: true });
  });
});

describe('keep-alives and rejoins', () => {
  it('a keep-alive counts as activity for an exit in progress, tells a node whose exit ended, and is refused without one', () => {
    expect(decideKeepAlive(exit())).toEqual({ type: 'touch' });
    expect(decideKeepAlive(finished({ outcome: 'failed', failureReason: 'DISQUALIFIED' }))).toEqual({ type: 'finished' });
    expect(decideKeepAlive(undefined)).toEqual(refusal('FailedPrecondition', /no exit/));
  });

  it('lets only a node whose full exit completed rejoin; a failed exit disqualified it, and the refusal says why', () => {
    expect(decideRejoin(node({ status: 'exited' }), finished())).toEqual({ type: 'rejoin', overlay: true, archive: true });
    const dq = node({ status: 'disqualified', disqualifiedReason: 'graceful exit failed: VERIFICATION_FAILED (replacement hash signature)' });
    expect(decideRejoin(dq, finished({ outcome: 'failed', failureReason: 'VERIFICATION_FAILED' }))).toEqual(refusal('PermissionDenied', /cannot rejoin: graceful exit failed: VERIFICATION_FAILED/));
    expect(decideRejoin(node({ status: 'exiting' }), exit())).toEqual(refusal('FailedPrecondition', /still exiting/));
    expect(decideRejoin(node(), undefined)).toEqual(refusal('FailedPrecondition', /has not exited/));
    expect(decideRejoin(node(), finished({ kind: 'partial', targetBytes: 5 }))).toEqual(refusal('FailedPrecondition', /has not exited/));
    expect(decideRejoin(undefined, undefined)).toEqual(refusal('PermissionDenied', /not known/));
  });

  it('finishes a rejoin a crash cut short, and answers a repeated one with when it happened', () => {
    expect(decideRejoin(node({ rejoinedAt: NOW - 5 }), finished())).toEqual({ type: 'rejoin', overlay: false, archive: true });
    expect(decideRejoin(node({ rejoinedAt: NOW - 5 }), undefined)).toEqual({ type: 'rejoined', rejoinedAt: NOW - 5 });
  });
});

describe('the time-based policy', () => {
  const started = exit({ policy: 'time-based', initiatedAt: NOW - 10 * DAY });

  it('waits out the period (polls capped, never faster than NotReady), then judges the online score against the threshold', () => {
    expect(timeBasedDueAt(started, CONFIG)).toBe(NOW + 20 * DAY);
    expect(judgeTimeBased(started, NOW, 0, CONFIG)).toEqual({ type: 'wait', retryAfterMs: TIME_BASED_MAX_RETRY_MS });
    expect(judgeTimeBased(started, NOW + 20 * DAY - 5, 0, CONFIG)).toEqual({ type: 'wait', retryAfterMs: 30_000 });
    expect(judgeTimeBased(started, NOW + 20 * DAY, 0.8, CONFIG)).toEqual({ type: 'completed' });
    expect(judgeTimeBased(started, NOW + 25 * DAY, 0.79, CONFIG)).toEqual({
      type: 'failed', reason: 'ONLINE_SCORE_TOO_LOW', detail: 'online 79.0% of the exit period, at least 80.0% needed',
    });
  });

  function opened(e: ExitRecord, n: NodeRecord, onlineScore?: number, now = NOW): readonly CoordinatorEffect[] {
    const session = openSession(satellite.publicKey, leaving.publicKey, CONFIG);
    return transition(session, { type: 'opened', now, node: n, exit: e, ...(onlineScore === undefined ? {} : { onlineScore }) }).effects;
  }

  it('a stream of a time-based exit transfers nothing: NotReady (counted as activity) until due, then the verdict', () => {
    const exiting = node({ status: 'exiting' });
    expect(opened(started, exiting, 1)).toEqual([{ type: 'touch' }, { type: 'send', message: { type: 'notReady', retryAfterMs: TIME_BASED_MAX_RETRY_MS } }, { type: 'end' }]);
    const due = NOW + 20 * DAY;
    expect(opened(started, exiting, 0.95, due)).toEqual([{ type: 'finishExit', outcome: 'completed', reason: null, detail: null }]);
    expect(opened(started, exiting, 0.5, due)).toEqual([expect.objectContaining({ type: 'finishExit', outcome: 'failed', reason: 'ONLINE_SCORE_TOO_LOW' })]);
    // Without the score, never a verdict.
    expect(opened(started, exiting, undefined, due)).toEqual([{ type: 'touch' }, { type: 'send', message: { type: 'notReady', retryAfterMs: 30_000 } }, { type: 'end' }]);
    // Recorded but not yet marked exiting: marked first; long inactivity does not matter.
    expect(opened({ ...started, lastActivityAt: NOW - 9 * DAY }, node(), 1)[0]).toEqual({ type: 'startExit' });
  });

  it('a stream of a partial exit never marks the node exiting: it transfers its gathered pieces while the node stays active', () => {
    const partial = exit({ kind: 'partial', targetBytes: 500 });
    const effects = opened(partial, node());
    expect(effects.map((e) => e.type)).toEqual(['touch', 'fetch']);
    expect(opened({ ...partial, gatheredAt: null }, node()).map((e) => e.type)).toEqual(['touch', 'send', 'end']);
  });
});

describe('receipts of partial exits', () => {
  it("say partial, signed with the rest: stripping the kind breaks the signature, and a full exit's receipt is the first version's", () => {
    const base = { nodeId: leaving.publicKey, satelliteId: satellite.publicKey, outcome: 'completed' as const, finishedAt: NOW };
    const partial = signExitReceipt(satellite, { ...base, kind: 'partial' });
    expect(partial.kind).toBe('partial');
    expect(verifyExitReceipt(decodeExitReceipt(encodeExitReceipt(partial)), satellite.publicKey, { nodeId: leaving.publicKey })).toBe(true);
    const { kind: _kind, ...stripped } = partial;
    expect(verifyExitReceipt(stripped, satellite.publicKey)).toBe(false);
    const full = signExitReceipt(satellite, { ...base, kind: 'full' });
    expect('kind' in full).toBe(false);
    expect(full.signature).toEqual(signExitReceipt(satellite, base).signature);
  });
});
