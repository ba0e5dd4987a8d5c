// The order as the domain sees it: money in fen, statuses as unions, a version for optimistic concurrency.
import type { Charset } from '../alipay/charset.ts';
import type { Fen } from '../alipay/amount.ts';
import type { ServiceName, TradeKind } from '../alipay/services.ts';
import type { OrderStatus, RefundMark, TradeStatus } from './trade-status.ts';

export type EventSource = 'notify' | 'return' | 'query';

export interface HistoryEntry {
  at: string;
  source: EventSource;
  notifyId?: string;
  status: TradeStatus;
  refundStatus?: string;
}

export type AnomalyCode =
  | 'amount_mismatch'
  | 'amount_missing'
  | 'seller_mismatch'
  | 'partner_mismatch'
  | 'unknown_order'
  | 'unexpected_status'
  | 'unknown_trade_status';

export interface Anomaly {
  at: string;
  code: AnomalyCode;
  detail: string;
  notifyId?: string;
}

export interface Order {
  outTradeNo: string;
  service: ServiceName;
  kind: TradeKind;
  subject: string;
  /** What the buyer must pay; undefined for a donation where the donor picks the amount. */
  amountFen?: Fen;
  /** Every amount that counts as correct (escrow with logistics alternatives has several). Empty: any amount. */
  acceptedAmountsFen: Fen[];
  /** What Alipay reports as paid, once paid. */
  paidFen?: Fen;
  partner: string;
  sellerId?: string;
  sellerEmail?: string;
  charset: Charset;
  status: OrderStatus;
  tradeNo?: string;
  refund?: RefundMark;
  version: number;
  history: HistoryEntry[];
  anomalies: Anomaly[];
  createdAt: string;
  updatedAt: string;
  /** The signed gateway parameters, so a retried create-payment gets the very same answer. */
  gatewayParams: Record<string, string>;
}

/** Only the last entries are kept on the order; the Notifications table holds everything. */
export const HISTORY_LIMIT = 20;
export const ANOMALY_LIMIT = 20;

/** A verified report from Alipay about one trade (async notify, sync return, or a query). */
export interface TradeEvent {
  source: EventSource;
  notifyId?: string;
  receivedAt: string;
  outTradeNo: string;
  tradeNo?: string;
  /** Raw trade_status as sent; checked by the decision. */
  tradeStatus: string;
  refundStatus?: string;
  gmtRefund?: string;
  totalFen?: Fen;
  /** |discount| applies only when a coupon was used. */
  discountFen?: Fen;
  useCoupon: boolean;
  sellerId?: string;
  sellerEmail?: string;
  partner?: string;
}
