// The one decision: what a verified trade event does to an order, as the next Order value. Pure: no clock, no I/O.
import { formatYuan } from '../alipay/amount.ts';
import {
  ANOMALY_LIMIT, HISTORY_LIMIT, isRefundResult, type Anomaly, type AnomalyCode, type HistoryEntry, type Order, type OrderEvent,
  type RefundResultEvent, type TradeEvent,
} from './order.ts';
import { applyRefundResult, settleFromTradeNotification } from './refunds.ts';
import {
  classifyMove, isPaid, isRefundStatus, isTradeStatus, laterRefund, LIFECYCLE, type RefundMark,
} from './trade-status.ts';

export type Decision =
  | { outcome: 'applied'; next: Order }
  | { outcome: 'duplicate' } // the order already says all this event says
  | { outcome: 'stale'; detail: string } // older news than the order has; changes nothing
  // Authentic but wrong for this order: recorded on it (`next`, absent for an unknown order), never marks it paid.
  // `suspect`: the message may not be the one Alipay signed (a re-split), so it must not stand for its event id.
  | { outcome: 'anomaly'; anomalies: Anomaly[]; next?: Order; suspect: boolean };

export interface DecideContext {
  /** Our own partner id, for events that carry one. */
  partner: string;
  /** The order this event's id was already recorded for, when it was (a notify_id Alipay reused, or a forgery). */
  eventRecordedFor?: string;
}

/** Values we send that Alipay echoes back in notifications and returns. */
const ECHOED = ['subject', 'body', 'extra_common_param', 'receive_name', 'receive_address', 'receive_zip', 'receive_phone', 'receive_mobile'];

export function decide(order: Order | undefined, event: OrderEvent, ctx: DecideContext): Decision {
  const anomaly = (code: AnomalyCode, detail: string): Anomaly => ({ at: event.receivedAt, code, detail, eventId: event.eventId });
  const anomalous = (found: Anomaly[]): Decision => ({
    outcome: 'anomaly',
    anomalies: found,
    suspect: found.some((a) => a.code === 'echo_mismatch' || a.code === 'ambiguous_message'),
    ...(order ? { next: { ...bump(order, event), anomalies: [...order.anomalies, ...found].slice(-ANOMALY_LIMIT) } } : {}),
  });

  if (!order) return anomalous([anomaly('unknown_order', `no order with out_trade_no ${event.outTradeNo}`)]);
  if (ctx.eventRecordedFor !== undefined) {
    if (ctx.eventRecordedFor === order.outTradeNo) return { outcome: 'duplicate' };
    return anomalous([anomaly('notify_id_reused', `event ${event.eventId} was already recorded for order ${ctx.eventRecordedFor}`)]);
  }
  if (isRefundResult(event)) return decideRefundResult(order, event, anomalous);
  const status = event.tradeStatus;
  if (!isTradeStatus(status)) {
    return anomalous([anomaly('unknown_trade_status', `trade_status ${JSON.stringify(status)} is not one we know`)]);
  }

  const found: Anomaly[] = [...splitProblems(order, event).map(([code, detail]) => anomaly(code, detail))];
  if (event.partner !== undefined && event.partner !== ctx.partner) {
    found.push(anomaly('partner_mismatch', `partner ${event.partner} is not ours (${ctx.partner})`));
  }
  if (event.sellerId !== undefined && order.sellerId !== undefined && event.sellerId !== order.sellerId) {
    found.push(anomaly('seller_mismatch', `seller_id ${event.sellerId} differs from the order's ${order.sellerId}`));
  }
  if (event.sellerEmail !== undefined && order.sellerEmail !== undefined && event.sellerEmail !== order.sellerEmail) {
    found.push(anomaly('seller_mismatch', `seller_email ${event.sellerEmail} differs from the order's ${order.sellerEmail}`));
  }
  if (event.tradeNo !== undefined && order.tradeNo !== undefined && event.tradeNo !== order.tradeNo) {
    found.push(anomaly('trade_no_mismatch', `trade ${event.tradeNo} is not the order's trade ${order.tradeNo}: the buyer may have paid twice`));
  }
  // Our own close_trade carries no amount: there is nothing paid to compare.
  const amountProblem = event.source === 'close' ? undefined : checkAmount(order, event);
  if (amountProblem) found.push(anomaly(amountProblem.code, amountProblem.detail));

  if (order.status === 'TRADE_CLOSED' && order.paidFen === undefined && isPaid(status)) {
    // Closed unpaid (timed out, or closed by us), yet Alipay reports money: never mistaken for older news.
    found.push(anomaly('paid_after_close', `${status} reported for an order closed unpaid: the buyer may have paid a closed order`));
  }
  const lifecycle = LIFECYCLE[order.service];
  const move = classifyMove(lifecycle, order.status, status);
  if (move === 'impossible') {
    found.push(anomaly('unexpected_status', `${status} cannot follow ${order.status} in a ${lifecycle} trade (${order.service})`));
  }
  if (found.length > 0) return anomalous(found);

  const incomingRefund: RefundMark | undefined = isRefundStatus(event.refundStatus)
    ? { status: event.refundStatus, ...(event.gmtRefund ? { at: event.gmtRefund } : {}) }
    : undefined;
  const refund = laterRefund(order.refund, incomingRefund);
  const refundChanged = refund !== undefined &&
    (order.refund === undefined || refund.status !== order.refund.status || refund.at !== order.refund.at);
  const tradeNoNew = event.tradeNo !== undefined && order.tradeNo === undefined;

  if (move === 'backward' && !refundChanged) {
    return { outcome: 'stale', detail: `${status} is older news than the order's ${order.status}` };
  }
  if (move === 'same' && !refundChanged && !tradeNoNew) return { outcome: 'duplicate' };

  const forward = move === 'forward';
  const entry: HistoryEntry = {
    at: event.receivedAt, source: event.source, eventId: event.eventId, status: forward ? status : order.status,
    ...(event.refundStatus === undefined ? {} : { refundStatus: event.refundStatus }),
  };
  // A refund proves the buyer paid: a full refund's TRADE_CLOSED can arrive before the payment's own notification
  // (which is then older news), and the amount paid must not depend on that order.
  const showsPayment = (forward && isPaid(status)) || incomingRefund !== undefined;
  const paidNow = showsPayment && order.paidFen === undefined && event.totalFen !== undefined;
  const ledger = refundChanged && incomingRefund ? settleFromTradeNotification(order, incomingRefund.status, event.receivedAt) : undefined;
  return {
    outcome: 'applied',
    next: {
      ...bump(order, event),
      ...(forward ? { status } : {}),
      ...(tradeNoNew ? { tradeNo: event.tradeNo } : {}),
      ...(refundChanged ? { refund } : {}),
      ...(paidNow ? { paidFen: event.totalFen } : {}),
      ...(ledger ? { refunds: ledger } : {}),
      history: [...order.history, entry].slice(-HISTORY_LIMIT),
    },
  };
}

/** A batch refund result: its ledger entry settles once; anything that does not fit the ledger is an anomaly. */
function decideRefundResult(order: Order, event: RefundResultEvent, anomalous: (found: Anomaly[]) => Decision): Decision {
  const r = applyRefundResult(order, event);
  if (r.outcome === 'duplicate') return r;
  if (r.outcome === 'anomaly') return anomalous([{ at: event.receivedAt, code: r.code, detail: r.detail, eventId: event.eventId }]);
  const settled = r.entries.find((e) => e.batchNo === event.refundResult.batchNo)!;
  const entry: HistoryEntry = {
    at: event.receivedAt, source: event.source, eventId: event.eventId, status: order.status,
    refundStatus: `batch ${settled.batchNo} ${settled.status}`,
  };
  return { outcome: 'applied', next: { ...bump(order, event), refunds: r.entries, history: [...order.history, entry].slice(-HISTORY_LIMIT) } };
}

/** Every write is a new version. */
const bump = (order: Order, event: OrderEvent): Order => ({ ...order, version: order.version + 1, updatedAt: event.receivedAt });

/**
 * The MD5 presign joins raw values with "&" and "=". Where a value holds "&k=v", the same signed bytes can be read
 * as other parameters (a subject "Tea&trade_status=TRADE_FINISHED&zz=" re-split by whoever holds the message).
 * Any such re-split leaves a value holding "&" on one side: in a value we sent (which must then come back exactly as
 * we sent it), or in the message (which we can only trust where it is a value we sent, intact).
 */
function splitProblems(order: Order, event: TradeEvent): [AnomalyCode, string][] {
  const fields = event.fields;
  if (!fields) return [];
  const problems: [AnomalyCode, string][] = [];
  for (const name of ECHOED) {
    const sent = order.gatewayParams[name];
    const got = fields[name];
    if (sent !== undefined && got !== undefined && sent.includes('&') && got !== sent) {
      problems.push(['echo_mismatch', `${name} came back different from what we sent, which holds "&": the message may have been re-split`]);
    }
  }
  for (const [name, value] of Object.entries(fields)) {
    if (value.includes('&') && order.gatewayParams[name] !== value) {
      problems.push(['ambiguous_message', `${name} holds "&" and is not a value we sent: the signed bytes could be read as other parameters`]);
    }
  }
  return problems;
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
