// Alipay trade and refund statuses, their ranks, and which moves each kind of trade allows. An order never moves backwards.
import type { ServiceName } from '../alipay/services.ts';

export const TRADE_STATUSES = [
  'WAIT_BUYER_PAY',
  'TRADE_PENDING',
  'WAIT_SELLER_SEND_GOODS',
  'WAIT_BUYER_CONFIRM_GOODS',
  'TRADE_SUCCESS',
  'TRADE_FINISHED',
  'TRADE_CLOSED',
] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

/** Our status for an order: CREATED until Alipay reports a trade status. */
export type OrderStatus = 'CREATED' | TradeStatus;

export const REFUND_STATUSES = [
  'WAIT_SELLER_AGREE',
  'SELLER_REFUSE_BUYER',
  'WAIT_BUYER_RETURN_GOODS',
  'WAIT_SELLER_CONFIRM_GOODS',
  'REFUND_CLOSED',
  'REFUND_SUCCESS',
] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const isTradeStatus = (v: unknown): v is TradeStatus => typeof v === 'string' && (TRADE_STATUSES as readonly string[]).includes(v);
export const isRefundStatus = (v: unknown): v is RefundStatus => typeof v === 'string' && (REFUND_STATUSES as readonly string[]).includes(v);

/** Rank for monotonic updates (protocol doc §4.1). FINISHED and CLOSED are both terminal. */
export const RANK: Readonly<Record<OrderStatus, number>> = {
  CREATED: -1,
  WAIT_BUYER_PAY: 0,
  TRADE_PENDING: 1,
  WAIT_SELLER_SEND_GOODS: 2,
  WAIT_BUYER_CONFIRM_GOODS: 3,
  TRADE_SUCCESS: 4,
  TRADE_FINISHED: 5,
  TRADE_CLOSED: 5,
};

/**
 * The life a trade can have, by service. `dual` is trade_create_by_buyer: escrow, or paid as instant (TRADE_SUCCESS).
 * Pure escrow never reports TRADE_SUCCESS and instant never reports the goods statuses [inference, protocol doc §4.1].
 */
export type Lifecycle = 'instant' | 'escrow' | 'dual';

export const LIFECYCLE: Readonly<Record<ServiceName, Lifecycle>> = {
  create_direct_pay_by_user: 'instant',
  create_digital_goods_trade_p: 'instant',
  create_donate_trade_p: 'instant',
  create_partner_trade_by_buyer: 'escrow',
  trade_create_by_buyer: 'dual',
};

const INSTANT: Readonly<Record<OrderStatus, readonly TradeStatus[]>> = {
  CREATED: ['WAIT_BUYER_PAY', 'TRADE_PENDING', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
  WAIT_BUYER_PAY: ['TRADE_PENDING', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
  TRADE_PENDING: ['TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
  WAIT_SELLER_SEND_GOODS: [],
  WAIT_BUYER_CONFIRM_GOODS: [],
  TRADE_SUCCESS: ['TRADE_FINISHED', 'TRADE_CLOSED'], // window expiry; full refund closes
  TRADE_FINISHED: [],
  TRADE_CLOSED: [],
};

const ESCROW: Readonly<Record<OrderStatus, readonly TradeStatus[]>> = {
  CREATED: ['WAIT_BUYER_PAY', 'WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
  WAIT_BUYER_PAY: ['WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
  TRADE_PENDING: [],
  WAIT_SELLER_SEND_GOODS: ['WAIT_BUYER_CONFIRM_GOODS', 'TRADE_FINISHED', 'TRADE_CLOSED'],
  WAIT_BUYER_CONFIRM_GOODS: ['TRADE_FINISHED', 'TRADE_CLOSED'],
  TRADE_SUCCESS: [],
  TRADE_FINISHED: [],
  TRADE_CLOSED: [],
};

const DUAL: Readonly<Record<OrderStatus, readonly TradeStatus[]>> = {
  ...ESCROW,
  CREATED: [...ESCROW.CREATED, 'TRADE_SUCCESS'],
  WAIT_BUYER_PAY: [...ESCROW.WAIT_BUYER_PAY, 'TRADE_SUCCESS'],
  TRADE_SUCCESS: ['TRADE_FINISHED', 'TRADE_CLOSED'],
};

export const TRANSITIONS: Readonly<Record<Lifecycle, Readonly<Record<OrderStatus, readonly TradeStatus[]>>>> = {
  instant: INSTANT,
  escrow: ESCROW,
  dual: DUAL,
};

/** Every status a trade of this lifecycle can ever report. */
const possible = (table: Readonly<Record<OrderStatus, readonly TradeStatus[]>>): ReadonlySet<TradeStatus> => new Set(Object.values(table).flat());
const POSSIBLE: Readonly<Record<Lifecycle, ReadonlySet<TradeStatus>>> = { instant: possible(INSTANT), escrow: possible(ESCROW), dual: possible(DUAL) };

/** forward: apply; same: nothing new; backward: older news (stale); impossible: never for this trade (anomaly). */
export type Move = 'forward' | 'same' | 'backward' | 'impossible';

/** How `next` relates to `current` for a trade of `lifecycle`. A status the trade can never have is impossible wherever it arrives. */
export function classifyMove(lifecycle: Lifecycle, current: OrderStatus, next: TradeStatus): Move {
  if (!POSSIBLE[lifecycle].has(next)) return 'impossible';
  if (current === next) return 'same';
  if (TRANSITIONS[lifecycle][current].includes(next)) return 'forward';
  if (RANK[next] <= RANK[current]) return 'backward';
  return 'impossible';
}

/** Money has reached Alipay for this order (escrow: held until the buyer confirms). */
export function isPaid(status: OrderStatus): boolean {
  return status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED' || status === 'TRADE_PENDING' ||
    status === 'WAIT_SELLER_SEND_GOODS' || status === 'WAIT_BUYER_CONFIRM_GOODS';
}

/** Still waiting for the buyer: reconciliation looks at these. */
export const isAwaitingPayment = (status: OrderStatus): boolean => status === 'CREATED' || status === 'WAIT_BUYER_PAY';

const REFUND_RANK: Readonly<Record<RefundStatus, number>> = {
  WAIT_SELLER_AGREE: 1, SELLER_REFUSE_BUYER: 2, WAIT_BUYER_RETURN_GOODS: 3, WAIT_SELLER_CONFIRM_GOODS: 4, REFUND_CLOSED: 5, REFUND_SUCCESS: 6,
};

export interface RefundMark {
  status: RefundStatus;
  /** gmt_refund when Alipay sent it ("yyyy-MM-dd HH:mm:ss", sorts as text). */
  at?: string;
}

/**
 * The later of two refund marks, independent of arrival order: by gmt_refund, then by rank.
 * Commutative, so any delivery order of the same notifications ends with the same refund status.
 */
export function laterRefund(a: RefundMark | undefined, b: RefundMark | undefined): RefundMark | undefined {
  if (!a) return b;
  if (!b) return a;
  const ta = a.at ?? '';
  const tb = b.at ?? '';
  if (ta !== tb) return ta > tb ? a : b;
  return REFUND_RANK[a.status] >= REFUND_RANK[b.status] ? a : b;
}
