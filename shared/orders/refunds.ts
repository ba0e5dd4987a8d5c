// The refund ledger: what may still be refunded, asking for a refund, and what Alipay reports back. Pure.
import { type Fen, formatYuan } from '../alipay/amount.ts';
import type { Order, RefundEntry, RefundResultEvent } from './order.ts';

const sum = (entries: readonly RefundEntry[]): number => entries.reduce((n, e) => n + e.amountFen, 0);

/** Money Alipay reported refunded. */
export const refundedFen = (order: Order): Fen => sum((order.refunds ?? []).filter((e) => e.status === 'SUCCESS')) as Fen;

/** What may still be refunded: paid, less every refund that succeeded or may still succeed. */
export function refundableFen(order: Order): Fen {
  if (order.paidFen === undefined) return 0 as Fen;
  return Math.max(0, order.paidFen - sum((order.refunds ?? []).filter((e) => e.status !== 'FAILED'))) as Fen;
}

export interface RefundRequest {
  requestId: string;
  batchNo: string;
  amountFen: Fen;
  reason: string;
  mode: RefundEntry['mode'];
  at: string;
}

export type RefundRequestDecision =
  | { outcome: 'requested'; next: Order; entry: RefundEntry }
  /** The same requestId was asked before: the same refund, nothing new. */
  | { outcome: 'same_request'; entry: RefundEntry }
  | { outcome: 'refused'; code: 'NOT_REFUNDABLE' | 'EXCEEDS_REFUNDABLE' | 'REQUEST_ID_REUSED'; detail: string };

/**
 * A new ledger entry, if the order can take it. Only an instant trade that is paid and still operable
 * (TRADE_SUCCESS) can be refunded through refund_fastpay; the ledger never commits more than was paid. The caller
 * writes `next` over the version it read, so two concurrent requests cannot both spend the same money.
 */
export function requestRefund(order: Order, req: RefundRequest): RefundRequestDecision {
  const earlier = (order.refunds ?? []).find((e) => e.requestId === req.requestId);
  if (earlier) {
    if (earlier.amountFen === req.amountFen && earlier.reason === req.reason) return { outcome: 'same_request', entry: earlier };
    return { outcome: 'refused', code: 'REQUEST_ID_REUSED', detail: `refund ${req.requestId} was already asked for ${formatYuan(earlier.amountFen)} ("${earlier.reason}"): use a new requestId for another refund` };
  }
  if (order.status !== 'TRADE_SUCCESS') {
    return { outcome: 'refused', code: 'NOT_REFUNDABLE', detail: `order ${order.outTradeNo} is ${order.status}: only a paid instant trade that is still open (TRADE_SUCCESS) can be refunded` };
  }
  const left = refundableFen(order);
  if (req.amountFen > left) {
    return { outcome: 'refused', code: 'EXCEEDS_REFUNDABLE', detail: `${formatYuan(req.amountFen)} is more than the ${formatYuan(left)} that can still be refunded (paid ${formatYuan(order.paidFen ?? 0)}, refunded or pending ${formatYuan((order.paidFen ?? 0) - left)})` };
  }
  const entry: RefundEntry = {
    batchNo: req.batchNo, amountFen: req.amountFen, reason: req.reason, mode: req.mode, status: 'PENDING',
    requestedAt: req.at, updatedAt: req.at, requestId: req.requestId,
  };
  return {
    outcome: 'requested',
    entry,
    next: { ...order, version: order.version + 1, updatedAt: req.at, refunds: [...(order.refunds ?? []), entry] },
  };
}

export type RefundResultDecision =
  | { outcome: 'applied'; entries: RefundEntry[] }
  | { outcome: 'duplicate' }
  | { outcome: 'anomaly'; code: 'unknown_refund' | 'refund_mismatch'; detail: string };

/** What a batch_refund_notify item does to the ledger: the entry of its batch becomes SUCCESS or FAILED, once. */
export function applyRefundResult(order: Order, event: RefundResultEvent): RefundResultDecision {
  const { batchNo, tradeNo, amountFen, result } = event.refundResult;
  const entries = order.refunds ?? [];
  const i = entries.findIndex((e) => e.batchNo === batchNo);
  const entry = entries[i];
  if (!entry) return { outcome: 'anomaly', code: 'unknown_refund', detail: `batch ${batchNo} is not a refund of order ${order.outTradeNo}` };
  if (order.tradeNo !== undefined && tradeNo !== order.tradeNo) {
    return { outcome: 'anomaly', code: 'refund_mismatch', detail: `batch ${batchNo} reports trade ${tradeNo}, not the order's trade ${order.tradeNo}` };
  }
  if (amountFen !== entry.amountFen) {
    return { outcome: 'anomaly', code: 'refund_mismatch', detail: `batch ${batchNo} reports ${formatYuan(amountFen)}, the refund asked for ${formatYuan(entry.amountFen)}` };
  }
  const status = result === 'SUCCESS' ? 'SUCCESS' : 'FAILED';
  if (entry.status === status && (status === 'SUCCESS' || entry.result === result)) return { outcome: 'duplicate' };
  if (entry.status !== 'PENDING' && entry.result !== 'trade notification') {
    return { outcome: 'anomaly', code: 'refund_mismatch', detail: `batch ${batchNo} was already ${entry.status}, now reported ${result}` };
  }
  const next: RefundEntry = { ...entry, status, updatedAt: event.receivedAt, ...(status === 'FAILED' ? { result } : { result: 'SUCCESS' }) };
  return { outcome: 'applied', entries: entries.map((e, j) => (j === i ? next : e)) };
}

/**
 * A trade notification's refund_status names no batch: it settles the ledger only when exactly one refund is
 * pending (so two refunds never overwrite each other). The batch notification, when it comes, is the authority.
 */
export function settleFromTradeNotification(order: Order, refundStatus: string, at: string): RefundEntry[] | undefined {
  if (refundStatus !== 'REFUND_SUCCESS' && refundStatus !== 'REFUND_CLOSED') return undefined;
  const entries = order.refunds ?? [];
  const pending = entries.filter((e) => e.status === 'PENDING');
  if (pending.length !== 1) return undefined;
  const status = refundStatus === 'REFUND_SUCCESS' ? 'SUCCESS' : 'FAILED';
  return entries.map((e) => (e === pending[0] ? { ...e, status, updatedAt: at, result: 'trade notification' } : e));
}

/** Alipay refused to take the refund at all (its synchronous answer): the entry fails and its amount is free again. */
export function refusedByAlipay(order: Order, batchNo: string, code: string, at: string): Order | undefined {
  const entries = order.refunds ?? [];
  if (!entries.some((e) => e.batchNo === batchNo && e.status === 'PENDING')) return undefined;
  const refunds = entries.map((e) => (e.batchNo === batchNo ? { ...e, status: 'FAILED' as const, result: code, updatedAt: at } : e));
  return { ...order, version: order.version + 1, updatedAt: at, refunds };
}
