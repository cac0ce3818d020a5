/**
 * The satellite's move and copy handlers. Begin locates the object and checks the destination;
 * small objects then finish with every key in one request, large ones page their keys out
 * (GetMoveSegments) and back in (PutMoveKeys) under an operation the metabase keeps. Finish
 * hands everything to `MetabaseStore.finishMove`, which checks and applies it in one
 * transaction. No handler contacts a storage node: a move touches no piece.
 */
import { equalBytes } from '../core/bytes.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { getCryptoProvider } from '../crypto/select.js';
import { notExpired, objectInfo } from '../metainfo/endpoint/context.js';
import type { Req } from '../metainfo/endpoint/types.js';
import { moveErrors, type MoveMode } from '../metainfo/metabase/move.js';
import type { ObjectInfo } from '../metainfo/schemas.js';
import type { MoveContext } from './context.js';
import { packSegmentKeys, unpackSegmentKeys } from './key-page.js';
import { MAX_MOVE_CHUNK } from './methods.js';
import type * as M from './methods.js';

type BeginReq = Req<typeof M.BeginMoveObject>;
type FinishReq = Req<typeof M.FinishMoveObject>;

export function moveHandlers(ctx: MoveContext) {
  const { metabase } = ctx;

  async function begin(mode: MoveMode, req: BeginReq) {
    const projectId = await ctx.authorize(req.header);
    ctx.checkKey(req.encryptedKey, 'encryptedKey');
    ctx.checkKey(req.newEncryptedKey, 'newEncryptedKey');
    const now = ctx.now();
    const location = { projectId, bucket: req.bucket, objectKey: req.encryptedKey };
    // Pending streams are not objects yet, and expired ones are gone for readers: neither moves.
    const object = notExpired(await metabase.getObject(location, req.version), now);
    if (!object) {
      await ctx.requireBucket(projectId, req.bucket);
      throw new NotFoundError(req.version === undefined ? 'object not found' : `version ${req.version} of the object not found`);
    }
    const newBucket = req.newBucket ?? req.bucket;
    const target = { projectId, bucket: newBucket, objectKey: req.newEncryptedKey };
    const ontoItself = newBucket === req.bucket && equalBytes(req.newEncryptedKey, req.encryptedKey);
    if (newBucket !== req.bucket) await ctx.requireBucket(projectId, newBucket);
    // Fail early on a taken destination (Finish checks again, atomically).
    if (!ontoItself && req.overwrite !== true && (await metabase.getObject(target))) throw new AlreadyExistsError(moveErrors.destinationTaken);

    const limit = Math.min(req.segmentLimit ?? ctx.config.chunkSegments, ctx.config.chunkSegments);
    const chunked = !ontoItself && object.segmentCount > limit;
    const expiresAt = now + ctx.config.operationTtlMs;
    const source = { ...location, version: object.version, streamId: object.streamId };
    const random = getCryptoProvider();
    const operationId = chunked ? random.randomBytes(16) : undefined;
    if (operationId) await metabase.beginMove({ operationId, source, createdAt: now, expiresAt });
    const keys = ontoItself ? [] : await metabase.listSegmentKeys(object.streamId, { limit });
    const moveToken = ctx.sealer.seal({
      mode,
      projectId,
      bucket: req.bucket,
      encryptedKey: req.encryptedKey,
      version: object.version,
      streamId: object.streamId,
      newBucket,
      newEncryptedKey: req.newEncryptedKey,
      overwrite: req.overwrite === true,
      ...(mode === 'copy' ? { copyStreamId: random.randomBytes(16) } : {}),
      ...(operationId ? { operationId } : {}),
      expiresAt,
    });
    const m = object.metadata;
    return {
      moveToken,
      streamId: object.streamId,
      version: object.version,
      segmentCount: object.segmentCount,
      ...(m ? { metadataKey: { encryptedMetadataKey: m.encryptedMetadataKey, encryptedMetadataKeyNonce: m.encryptedMetadataKeyNonce } } : {}),
      segmentKeys: packSegmentKeys(keys),
      moreSegments: chunked,
      ...(operationId ? { operationId } : {}),
    };
  }

  async function finish(mode: MoveMode, req: FinishReq): Promise<{ object: ObjectInfo }> {
    const projectId = await ctx.authorize(req.header);
    const now = ctx.now();
    const token = ctx.sealer.open(req.moveToken, now);
    if (!equalBytes(token.projectId, projectId)) throw new InvalidArgumentError('"moveToken" belongs to another project');
    if (token.mode !== mode) throw new InvalidArgumentError(`"moveToken" was issued for a ${token.mode}`);
    if (token.operationId && req.segmentKeys !== undefined) throw new InvalidArgumentError('"segmentKeys" of a chunked move go through PutMoveKeys');
    const result = await metabase.finishMove({
      mode,
      source: { projectId, bucket: token.bucket, objectKey: token.encryptedKey, version: token.version, streamId: token.streamId },
      destination: { bucket: token.newBucket, objectKey: token.newEncryptedKey },
      overwrite: token.overwrite,
      metadataKey: req.metadataKey,
      keys: token.operationId ? { operationId: token.operationId } : { segments: unpackSegmentKeys(req.segmentKeys ?? new Uint8Array(), 'segmentKeys', MAX_MOVE_CHUNK) },
      copyStreamId: token.copyStreamId,
      now,
    });
    ctx.segmentsDeleted(result.deletedSegments);
    return { object: objectInfo(result.object) };
  }

  /** A live, unfinished operation of the caller's project. */
  async function operation(header: { apiKey: string }, operationId: Uint8Array) {
    const projectId = await ctx.authorize(header);
    const op = await metabase.getMoveOperation(projectId, operationId, ctx.now());
    if (!op) throw new NotFoundError(moveErrors.operationNotFound);
    if (op.finishedStreamId) throw new FailedPreconditionError(moveErrors.operationFinished);
    return { projectId, op };
  }

  return {
    beginMoveObject: (req: BeginReq) => begin('move', req),
    beginCopyObject: (req: BeginReq) => begin('copy', req),
    finishMoveObject: (req: FinishReq) => finish('move', req),
    finishCopyObject: (req: FinishReq) => finish('copy', req),

    async getMoveSegments(req: Req<typeof M.GetMoveSegments>) {
      const { op } = await operation(req.header, req.operationId);
      const limit = Math.min(req.limit, ctx.config.chunkSegments);
      const keys = await metabase.listSegmentKeys(op.streamId, { cursor: req.after, limit: limit + 1 });
      return { segmentKeys: packSegmentKeys(keys.slice(0, limit)), moreSegments: keys.length > limit };
    },

    async putMoveKeys(req: Req<typeof M.PutMoveKeys>) {
      const projectId = await ctx.authorize(req.header);
      await metabase.putMoveKeys(projectId, req.operationId, unpackSegmentKeys(req.segmentKeys, 'segmentKeys', MAX_MOVE_CHUNK), ctx.now());
      return {};
    },
  };
}
