// What a verified message says about a trade, as a domain TradeEvent, and the id that makes it unique.
import { type Fen, parseYuan } from '../alipay/amount.ts';
import { isNotifyId, isTradeNo, NOTIFY_ID_RULE, TRADE_NO_RULE } from '../alipay/identifiers.ts';
import { isOutTradeNo, OUT_TRADE_NO_RULE } from '../alipay/identifiers.ts';
import type { VerifiedMessage } from '../alipay/receive.ts';
import type { EventSource, RefundResultEvent, TradeEvent } from '../orders/order.ts';
import { isBatchNo, parseResultDetails } from '../alipay/refunds.ts';
import { isAlipayError } from '../alipay/errors.ts';

function amount(value: string | undefined, allowNegative = false): Fen | undefined {
  if (value === undefined || value === '') return undefined;
  try {
    return parseYuan(value, 'amount', { min: allowNegative ? undefined : 0, allowNegative });
  } catch {
    return undefined; // an unreadable amount counts as missing: the decision then refuses to mark anything paid
  }
}

const opt = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: string };

/** The event id of a query answer, which has no notify_id: one per trade and status it reports. */
export const queryEventId = (tradeNo: string, tradeStatus: string, refundStatus?: string): string =>
  `query#${tradeNo}#${tradeStatus}${refundStatus ? `#${refundStatus}` : ''}`;

export type MessageEvent =
  | { ok: true; event: TradeEvent; notifyId: string }
  /** Signed, but its identifiers cannot name a trade or an event of ours: recorded as an anomaly, never applied. */
  | { ok: false; problem: string };

/**
 * A verified notify or return as a TradeEvent keyed by its notify_id. Identifiers are checked before anything is
 * looked up or stored under them: a 3,000-character notify_id is no key (DynamoDB refuses keys over 2,048 bytes).
 */
export function eventFromMessage(message: VerifiedMessage, source: Extract<EventSource, 'notify' | 'return'>, receivedAt: string): MessageEvent {
  const f = message.fields;
  const notifyId = f.notify_id ?? '';
  if (notifyId === '') return { ok: false, problem: 'the message has no notify_id, so Alipay cannot confirm it' };
  if (!isNotifyId(notifyId)) return { ok: false, problem: `notify_id is not ${NOTIFY_ID_RULE} (${notifyId.length} characters)` };
  const outTradeNo = f.out_trade_no ?? '';
  if (!isOutTradeNo(outTradeNo)) return { ok: false, problem: `out_trade_no is not one of ours (${OUT_TRADE_NO_RULE}; got ${(f.out_trade_no ?? '').length} characters)` };
  if (f.trade_no !== undefined && f.trade_no !== '' && !isTradeNo(f.trade_no)) {
    return { ok: false, problem: `trade_no is not ${TRADE_NO_RULE} (${f.trade_no.length} characters)` };
  }
  return { ok: true, notifyId, event: { ...tradeFields(f), eventId: notifyId, source, receivedAt, outTradeNo, fields: f } };
}

/**
 * A single_trade_query answer's `<trade>` as a TradeEvent: it has no notify_id, so its id is the trade and what it
 * reports. The same answer twice is one event; a new status (or refund status) is a new one.
 */
export function eventFromQuery(trade: Readonly<Record<string, string>>, outTradeNo: string, receivedAt: string): TradeEvent | undefined {
  const tradeNo = trade.trade_no ?? '';
  const status = trade.trade_status ?? '';
  if (!isTradeNo(tradeNo) || status === '' || trade.out_trade_no !== outTradeNo) return undefined;
  return { ...tradeFields(trade), eventId: queryEventId(tradeNo, status, trade.refund_status), source: 'query', receivedAt, outTradeNo };
}

/** What every trade message says, whatever carried it (the query answers T/F where notifications say Y/N). */
function tradeFields(f: Readonly<Record<string, string>>): Omit<TradeEvent, 'eventId' | 'source' | 'receivedAt' | 'outTradeNo'> {
  const totalFen = amount(f.total_fee);
  const discountFen = amount(f.discount, true);
  return {
    tradeStatus: f.trade_status ?? '',
    useCoupon: f.use_coupon === 'Y' || f.use_coupon === 'T',
    ...opt('tradeNo', f.trade_no),
    ...opt('refundStatus', f.refund_status),
    ...opt('gmtRefund', f.gmt_refund),
    ...opt('sellerId', f.seller_id),
    ...opt('sellerEmail', f.seller_email),
    ...opt('partner', f.partner),
    ...(totalFen === undefined ? {} : { totalFen }),
    ...(discountFen === undefined ? {} : { discountFen }),
  };
}

/**
 * A verified batch_refund_notify as one event per refunded trade. `outTradeNo` is the order the batch was requested
 * for (from our refund request record); without it the batch is not ours.
 */
export function refundEventsFromMessage(f: Readonly<Record<string, string>>, outTradeNo: string | undefined, receivedAt: string):
  | { ok: true; notifyId: string; events: RefundResultEvent[] }
  | { ok: false; problem: string } {
  const notifyId = f.notify_id ?? '';
  if (notifyId === '' || !isNotifyId(notifyId)) return { ok: false, problem: `the refund notification has no usable notify_id (${NOTIFY_ID_RULE})` };
  const batch = f.batch_no ?? '';
  if (!isBatchNo(batch)) return { ok: false, problem: 'batch_no is not yyyyMMdd + 3 to 24 letters or digits' };
  if (outTradeNo === undefined) return { ok: false, problem: `batch ${batch} is not a refund we asked for` };
  let results;
  try {
    results = parseResultDetails(f.result_details ?? '');
  } catch (err) {
    if (isAlipayError(err)) return { ok: false, problem: err.message };
    throw err;
  }
  if (results.length === 0) return { ok: false, problem: `batch ${batch} reports no result_details` };
  if (results.some((r) => !isTradeNo(r.tradeNo))) return { ok: false, problem: `a trade_no in result_details is not ${TRADE_NO_RULE}` };
  return {
    ok: true,
    notifyId,
    events: results.map((r) => ({ eventId: `refund#${batch}#${r.tradeNo}`, source: 'notify', receivedAt, outTradeNo, refundResult: { batchNo: batch, ...r } })),
  };
}
