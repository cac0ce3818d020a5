/**
 * `handoff`: identities, node ids and signatures, the crypto provider, typed errors, the clock
 * and the codec — the primitives every other part stands on.
 */
export {
  ERROR_CODES, HandoffError, DecodeError, CanceledError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
  AlreadyExistsError, PermissionDeniedError, UnauthenticatedError, ResourceExhaustedError, FailedPreconditionError,
  AbortedError, UnavailableError, InternalError, isErrorCode, errorFromCode, isHandoffError, toWireError,
  type ErrorCode, type HandoffErrorOptions,
} from './core/errors.js';
export { abortReason, throwIfAborted, raceAbort, sleep } from './core/abort.js';
export { systemClock, ManualClock, type Clock, type TimerHandle } from './core/clock.js';
export { concatBytes, equalBytes, compareBytes, toHex, fromHex, toBase32, fromBase32, utf8, fromUtf8 } from './core/bytes.js';
export {
  nodeCryptoProvider, nobleCryptoProvider, getCryptoProvider, setCryptoProvider, NodeId, Identity, verifySignature,
  DOMAIN_TAG_PATTERN, isDomainTag, assertDomainTag, signingBytes, signStructure, verifyStructure,
  type AeadAlgorithm, type CryptoProvider, type IncrementalHash, type NodeCryptoModule, type SaveIdentityOptions, type Signer,
} from './crypto/index.js';
export {
  DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_BYTES, decode, encode, decodeMessage, encodeMessage, s, canonicalEncode,
  encodeParts, partsLength, GATHER_THRESHOLD,
  type DecodeOptions, type ArrayDef, type BigIntDef, type BoolDef, type BytesDef, type EnumDef, type FloatDef, type Infer,
  type IntDef, type LiteralDef, type LiteralValue, type MapDef, type NullableDef, type ObjectDef, type ObjectOutput,
  type ObjectSchema, type OptionalDef, type OptionalSchema, type Schema, type SchemaDef, type Shape, type StringDef,
  type VariantCases, type VariantDef, type VariantOutput, type BigIntOptions, type FloatOptions, type IntOptions,
  type LengthOptions, type StringOptions, type ArrayOptions, type MapOptions, type CanonicalValue,
} from './codec/index.js';
