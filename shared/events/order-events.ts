// The domain events a committed order change stands for, derived from the order before and after it. Pure.
// The id `<outTradeNo>#<version>#<type>` is the same however often the change is read (a stream replay, a retried
// batch), so a consumer that remembers ids never acts twice.
import { type Fen, formatYuan } from '../alipay/amount.ts';
import type { ServiceName } from '../alipay/services.ts';
import type { Anomaly, Order, RefundEntry } from '../orders/order.ts';
import { isPaid, type OrderStatus } from '../orders/trade-status.ts';
import { refundedFen } from '../orders/refunds.ts';

export const ORDER_EVENT_TYPES = [
  'Order Paid',
  'Order Shipped',
  'Order Finished',
  'Order Closed',
  'Refund Succeeded',
  'Refund Failed',
  'Order Anomaly',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/** Money as integer fen and as Alipay's two-decimal yuan string. */
export interface Money {
  fen: number;
  yuan: string;
}

/** What a subscriber receives as the EventBridge `detail`: enough to act without calling us back. */
export interface OrderEventDetail {
  /** `<outTradeNo>#<version>#<type>` (a second anomaly of the same change: `...#Order Anomaly#2`): deduplicate on it. */
  eventId: string;
  type: OrderEventType;
  outTradeNo: string;
  tradeNo?: string;
  service: ServiceName;
  status: OrderStatus;
  /** The order's version after the change: a later version is later news about the order. */
  version: number;
  /** When the change was committed (the order's updatedAt). */
  occurredAt: string;
  /** What the buyer was asked to pay (absent for a donation), what Alipay reported paid, what was refunded. */
  amount?: Money;
  paid?: Money;
  refunded: Money;
  anomaly?: Anomaly;
  refund?: { batchNo: string; amount: Money; status: RefundEntry['status']; result?: string; requestId: string; reason: string };
}

export interface OrderDomainEvent {
  id: string;
  type: OrderEventType;
  detail: OrderEventDetail;
}

const money = (fen: Fen | number): Money => ({ fen, yuan: formatYuan(fen) });
const paid = (o: Order): boolean => o.paidFen !== undefined || isPaid(o.status);
const anomalyKey = (a: Anomaly): string => JSON.stringify([a.at, a.code, a.detail, a.eventId ?? '']);

/**
 * The events of one committed change. `before` is absent for a new order. Nothing is derived when the version did
 * not move forward (a rewrite of the same version, or an older image): replays and duplicates produce no event.
 */
export function deriveOrderEvents(before: Order | undefined, after: Order | undefined): OrderDomainEvent[] {
  if (!after || (before && after.version <= before.version)) return [];
  const seen = new Map<OrderEventType, number>();
  const events: OrderDomainEvent[] = [];
  const add = (type: OrderEventType, extra: Partial<OrderEventDetail> = {}): void => {
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    const eventId = `${after.outTradeNo}#${after.version}#${type}${n > 1 ? `#${n}` : ''}`;
    events.push({ id: eventId, type, detail: { ...baseDetail(after), eventId, type, ...extra } });
  };
  const was = (status: OrderStatus): boolean => before?.status === status;

  if (paid(after) && !(before && paid(before))) add('Order Paid');
  if (after.status === 'WAIT_BUYER_CONFIRM_GOODS' && !was('WAIT_BUYER_CONFIRM_GOODS')) add('Order Shipped');
  if (after.status === 'TRADE_FINISHED' && !was('TRADE_FINISHED')) add('Order Finished');
  if (after.status === 'TRADE_CLOSED' && !was('TRADE_CLOSED')) add('Order Closed');

  const earlier = new Map((before?.refunds ?? []).map((e) => [e.batchNo, e.status]));
  for (const entry of after.refunds ?? []) {
    if (entry.status === 'PENDING' || earlier.get(entry.batchNo) === entry.status) continue;
    add(entry.status === 'SUCCESS' ? 'Refund Succeeded' : 'Refund Failed', { refund: refundOf(entry) });
  }

  const known = new Set((before?.anomalies ?? []).map(anomalyKey));
  for (const anomaly of after.anomalies) if (!known.has(anomalyKey(anomaly))) add('Order Anomaly', { anomaly });
  return events;
}

function baseDetail(o: Order): Omit<OrderEventDetail, 'eventId' | 'type'> {
  return {
    outTradeNo: o.outTradeNo,
    ...(o.tradeNo === undefined ? {} : { tradeNo: o.tradeNo }),
    service: o.service,
    status: o.status,
    version: o.version,
    occurredAt: o.updatedAt,
    ...(o.amountFen === undefined ? {} : { amount: money(o.amountFen) }),
    ...(o.paidFen === undefined ? {} : { paid: money(o.paidFen) }),
    refunded: money(refundedFen(o)),
  };
}

function refundOf(e: RefundEntry): NonNullable<OrderEventDetail['refund']> {
  return {
    batchNo: e.batchNo, amount: money(e.amountFen), status: e.status, requestId: e.requestId, reason: e.reason,
    ...(e.result === undefined ? {} : { result: e.result }),
  };
}
