/**
 * The overlay: the satellite's registry of storage nodes (check-in, status, selection for
 * uploads and downloads). Storage adapters are in `./store/index.js`.
 */
export {
  contactWindowStart, canChangeStatus, assertStatusChange, applyStatusChange, applyRejoin, assertNodeId,
  applyContact, applyReputationUpdate, applySuspension, assertContactAttempt, assertReputationUpdate,
  assertSuspension, assertNodePage, assertTime, assertContact, assertSelection, NODE_STATUSES, type NodeStatus,
  type NodeRecord, NEW_NODE_STATE, type ContactAttempt, CONTACT_WINDOW_MS, type ReputationUpdate,
  type Suspension, type NodePage, type NodeContact, type StatusChange, type UploadSelection, UPLOAD_STATUSES,
  DOWNLOAD_STATUSES
} from './types.js';
export type { OverlayStore } from './port.js';
export { checkNodeAddress, MAX_NODE_ADDRESS_LENGTH } from './address.js';
export { CheckIn, CheckInRequest, CheckInResponse } from './checkin.js';
export {
  registerOverlay,
  DEFAULT_CHECK_IN_INTERVAL_MS,
  DEFAULT_MIN_CHECK_IN_GAP_MS,
  DEFAULT_DIAL_BACK_TIMEOUT_MS,
  DEFAULT_ONLINE_WINDOW_MS,
  type OverlayServiceOptions,
} from './service.js';
export { SelectionCachedOverlay, DEFAULT_SELECTION_REFRESH_MS, type SelectionCacheOptions } from './selection-cache.js';
