export {
  signOrderLimit, verifyOrderLimitSignature, PIECE_ACTIONS, type PieceAction, PUT_ACTIONS, GET_ACTIONS,
  OrderLimitSchema, type OrderLimit, type UnsignedOrderLimit
} from './order-limit.js';
export { signOrder, verifyOrderSignature, OrderSchema, type Order } from './order.js';
export { signPieceHash, verifyPieceHashSignature, PieceHashSchema, type PieceHash, type UnsignedPieceHash } from './piece-hash.js';
export { derivePieceId } from './piece-id.js';
export { generatePieceKey, pieceSigner, type PieceKeyPair } from './piece-key.js';
