// The one decision: what a verified trade event does to an order. Pure: no clock, no I/O.
import type { Fen } from '../alipay/amount.ts';
import { formatYuan } from '../alipay/amount.ts';
import type { Anomaly, HistoryEntry, Order, TradeEvent } from './order.ts';
import {
  classifyMove, isPaid, isRefundStatus, isTradeStatus, laterRefund,
  type RefundMark, type TradeStatus,
} from './trade-status.ts';

/** The changes an applied event makes to an order. */
export interface OrderChange {
  status?: TradeStatus;
  tradeNo?: string;
  refund?: RefundMark;
  paidFen?: Fen;
  history: HistoryEntry;
}

export type Decision =
  | { outcome: 'apply'; change: OrderChange }
  | { outcome: 'duplicate' } // the order already says all this event says
  | { outcome: 'stale'; detail: string } // older news than the order has; changes nothing
  | { outcome: 'anomaly'; anomalies: Anomaly[] }; // authentic but wrong for this order; recorded, never marks paid

export interface DecideContext {
  /** Our own partner id, for notifications that carry one. */
  partner: string;
}

export function decide(order: Order | undefined, event: TradeEvent, ctx: DecideContext): Decision {
  const anomaly = (code: Anomaly['code'], detail: string): Anomaly => ({
    at: event.receivedAt, code, detail, ...(event.notifyId === undefined ? {} : { notifyId: event.notifyId }),
  });
  if (!order) {
    return { outcome: 'anomaly', anomalies: [anomaly('unknown_order', `no order with out_trade_no ${event.outTradeNo}`)] };
  }
  const status = event.tradeStatus;
  if (!isTradeStatus(status)) {
    return { outcome: 'anomaly', anomalies: [anomaly('unknown_trade_status', `trade_status ${JSON.stringify(status)} is not one we know`)] };
  }

  const found: Anomaly[] = [];
  if (event.partner !== undefined && event.partner !== ctx.partner) {
    found.push(anomaly('partner_mismatch', `partner ${event.partner} is not ours (${ctx.partner})`));
  }
  if (event.sellerId !== undefined && order.sellerId !== undefined && event.sellerId !== order.sellerId) {
    found.push(anomaly('seller_mismatch', `seller_id ${event.sellerId} differs from the order's ${order.sellerId}`));
  }
  if (event.sellerEmail !== undefined && order.sellerEmail !== undefined && event.sellerEmail !== order.sellerEmail) {
    found.push(anomaly('seller_mismatch', `seller_email ${event.sellerEmail} differs from the order's ${order.sellerEmail}`));
  }
  const amountProblem = checkAmount(order, event);
  if (amountProblem) found.push(anomaly(amountProblem.code, amountProblem.detail));

  const move = classifyMove(order.kind, order.status, status);
  if (move === 'not_allowed') {
    found.push(anomaly('unexpected_status', `${status} does not follow ${order.status} in a ${order.kind} trade (${order.service})`));
  }
  if (found.length > 0) return { outcome: 'anomaly', anomalies: found };

  const incomingRefund: RefundMark | undefined = isRefundStatus(event.refundStatus)
    ? { status: event.refundStatus, ...(event.gmtRefund ? { at: event.gmtRefund } : {}) }
    : undefined;
  const refund = laterRefund(order.refund, incomingRefund);
  const refundChanged = refund !== order.refund && refund !== undefined &&
    (order.refund === undefined || refund.status !== order.refund.status || refund.at !== order.refund.at);
  const tradeNoNew = event.tradeNo !== undefined && order.tradeNo === undefined;

  if (move === 'backward' && !refundChanged) {
    return { outcome: 'stale', detail: `${status} is older news than the order's ${order.status}` };
  }
  if (move === 'same' && !refundChanged && !tradeNoNew) return { outcome: 'duplicate' };

  const history: HistoryEntry = {
    at: event.receivedAt, source: event.source, status,
    ...(event.notifyId === undefined ? {} : { notifyId: event.notifyId }),
    ...(event.refundStatus === undefined ? {} : { refundStatus: event.refundStatus }),
  };
  const change: OrderChange = { history };
  if (move === 'forward') change.status = status;
  if (tradeNoNew) change.tradeNo = event.tradeNo;
  if (refundChanged) change.refund = refund;
  if (move === 'forward' && isPaid(status) && order.paidFen === undefined && event.totalFen !== undefined) {
    change.paidFen = event.totalFen;
  }
  return { outcome: 'apply', change };
}

function checkAmount(order: Order, event: TradeEvent): { code: 'amount_mismatch' | 'amount_missing'; detail: string } | undefined {
  if (order.acceptedAmountsFen.length === 0) return undefined; // the donor chose the amount: recorded, not compared
  if (event.totalFen === undefined) return { code: 'amount_missing', detail: 'the notification has no total_fee' };
  const accepted = new Set<number>(order.acceptedAmountsFen);
  if (accepted.has(event.totalFen)) return undefined;
  // A coupon (red packet) lowers total_fee: original amount = total_fee + |discount|.
  if (event.useCoupon && event.discountFen !== undefined && accepted.has(event.totalFen + Math.abs(event.discountFen))) return undefined;
  const expected = order.acceptedAmountsFen.map(formatYuan).join(' or ');
  return { code: 'amount_mismatch', detail: `total_fee ${formatYuan(event.totalFen)} does not match the order amount ${expected}` };
}

/** The order after a decision's change, as the store writes it. Pure. */
export function applyChange(order: Order, change: OrderChange, historyLimit: number): Order {
  return {
    ...order,
    ...(change.status ? { status: change.status } : {}),
    ...(change.tradeNo ? { tradeNo: change.tradeNo } : {}),
    ...(change.refund ? { refund: change.refund } : {}),
    ...(change.paidFen !== undefined ? { paidFen: change.paidFen } : {}),
    history: [...order.history, change.history].slice(-historyLimit),
    version: order.version + 1,
    updatedAt: change.history.at,
  };
}
