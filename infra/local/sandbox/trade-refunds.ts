// A trade's refunds, pure: which trade may take a refund of how much (protocol doc §4.1, §4.2, §5.4) and what a
// refund does to it. A partial refund keeps TRADE_SUCCESS with refund_status REFUND_SUCCESS; refunding all that was
// paid closes the trade. Money is integer fen.
import type { GatewayRefusal } from './alipay-rules.ts';
import type { SandboxRefund } from './index.ts';
import type { Trade } from './trades.ts';
import { fenOf, yuanOf } from './yuan.ts';

/** §5.4: at most 99 refunds per trade. */
export const MAX_REFUNDS_PER_TRADE = 99;

/** What the buyer paid (0 while unpaid). */
export const paidFen = (trade: Trade): bigint => (trade.gmtPayment !== undefined && trade.totalFee !== '' ? fenOf(trade.totalFee) : 0n);

export const refundedFen = (trade: Trade): bigint => trade.refunds.reduce((sum, r) => sum + fenOf(r.amount), 0n);

/** What may still be refunded. */
export const refundableFen = (trade: Trade): bigint => paidFen(trade) - refundedFen(trade);

/**
 * Why this trade cannot take a refund of `fen` asked by `partner` for `sellerId`, or undefined. A trade that does not
 * exist is not this partner's trade either [inference: the doc gives no TRADE_NOT_EXIST for refunds].
 */
export function refundRefusal(trade: Trade | undefined, partner: string, sellerId: string, fen: bigint): GatewayRefusal | undefined {
  if (!trade || trade.partner !== partner) {
    return { code: 'NOT_THIS_PARTNERS_TRADE', reason: `partner ${partner} has no trade ${trade?.tradeNo ?? 'with that trade_no'}` };
  }
  if (trade.sellerId !== sellerId) {
    return { code: 'NOT_THIS_SELLER_TRADE', reason: `trade ${trade.tradeNo} was paid to seller ${trade.sellerId}, not ${sellerId}` };
  }
  if (trade.kind !== 'instant') {
    return { code: 'TRADE_PRODUCT_TYPE_NOT_ALLOW_REFUND', reason: `trade ${trade.tradeNo} is an escrow trade (${trade.service}): refund_fastpay refunds instant trades only` };
  }
  if (trade.status !== 'TRADE_SUCCESS') {
    return { code: 'TRADE_STATUS_ERROR', reason: `trade ${trade.tradeNo} is ${trade.status}: only a paid instant trade still open for refunds (TRADE_SUCCESS) can be refunded` };
  }
  if (trade.refunds.length >= MAX_REFUNDS_PER_TRADE) {
    // [inference] which code the 99-refund limit gets is not documented.
    return { code: 'SINGLE_DETAIL_DATA_EXCEED_LIMIT', reason: `trade ${trade.tradeNo} already has ${trade.refunds.length} refunds, the most a trade can have` };
  }
  const left = refundableFen(trade);
  if (fen > left) {
    return {
      code: 'REFUND_AMOUNT_NOT_VALID',
      reason: `${yuanOf(fen)} is more than the ${yuanOf(left)} left to refund on trade ${trade.tradeNo} (paid ${trade.totalFee}, refunded ${yuanOf(refundedFen(trade))})`,
    };
  }
  return undefined;
}

export interface RefundInput {
  fen: bigint;
  reason: string;
  /** Absent for the cashier's full-refund button. */
  batchNo?: string;
  now: string;
}

/** The trade after a refund the caller checked with refundRefusal: refund_status and gmt_refund; closed when all is refunded. */
export function applyRefund(trade: Trade, input: RefundInput): Trade {
  const refund: SandboxRefund = { ...(input.batchNo ? { batchNo: input.batchNo } : {}), amount: yuanOf(input.fen), reason: input.reason, at: input.now };
  const next: Trade = { ...trade, refunds: [...trade.refunds, refund], refundStatus: 'REFUND_SUCCESS', gmtRefund: input.now };
  if (refundableFen(next) > 0n) return next;
  return { ...next, status: 'TRADE_CLOSED', gmtClose: input.now, history: [...trade.history, { status: 'TRADE_CLOSED', at: input.now }] };
}

/** The cashier's 全额退款 button: everything left, without a batch. */
export const fullRefund = (trade: Trade, now: string): Trade => applyRefund(trade, { fen: refundableFen(trade), reason: '全额退款 full refund (cashier)', now });
