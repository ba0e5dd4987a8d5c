// The order as the domain sees it: money in fen, statuses as unions, a version for optimistic concurrency.
import type { Charset } from '../alipay/charset.ts';
import type { Fen } from '../alipay/amount.ts';
import type { ServiceName, TradeKind } from '../alipay/services.ts';
import type { OrderStatus, RefundMark, TradeStatus } from './trade-status.ts';

export interface HistoryEntry {
  at: string;
  source: EventSource;
  /** The event that moved the order (a notify_id for notify and return). */
  eventId: string;
  status: TradeStatus;
  refundStatus?: string;
}

export type AnomalyCode =
  | 'amount_mismatch'
  | 'amount_missing'
  | 'seller_mismatch'
  | 'partner_mismatch'
  | 'trade_no_mismatch' // another Alipay trade for an order already bound to one: the buyer may have paid twice
  | 'notify_id_reused' // an event id already recorded for another order
  | 'echo_mismatch' // a value we sent came back different in a message that could be split another way
  | 'ambiguous_message' // a value holds "&" where we cannot tell which split Alipay signed
  | 'unknown_order'
  | 'unexpected_status'
  | 'unknown_trade_status';

export interface Anomaly {
  at: string;
  code: AnomalyCode;
  detail: string;
  eventId?: string;
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
  /** Alipay's trade, once a verified event named one; never replaced by another. */
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

export type EventSource = 'notify' | 'return' | 'query';

/** A verified report from Alipay about one trade: an async notify, a sync return, or a query answer. */
export interface TradeEvent {
  /** What makes this event unique, for dedupe: the notify_id for notify and return; derived for a query answer. */
  eventId: string;
  source: EventSource;
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
  /**
   * The signed parameters as text, for sources that carry echoes of what we sent (notify, return): `decide` uses them
   * to tell whether a message holding "&" in a value was read the way Alipay signed it.
   */
  fields?: Readonly<Record<string, string>>;
}
