// The order as the domain sees it: money in fen, statuses as unions, a version for optimistic concurrency.
import type { Charset } from '../alipay/charset.ts';
import type { Fen } from '../alipay/amount.ts';
import type { ServiceName, TradeKind } from '../alipay/services.ts';
import type { OrderStatus, RefundMark } from './trade-status.ts';

export interface HistoryEntry {
  at: string;
  source: EventSource;
  /** The event that moved the order (a notify_id for notify and return). */
  eventId: string;
  /** The order's status after the event. */
  status: OrderStatus;
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
  | 'paid_after_close' // money reported for an order that was closed unpaid
  | 'unknown_refund' // a refund result for a batch this order never requested
  | 'refund_mismatch' // a refund result that does not match the requested refund (trade or amount)
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
  /** The refund ledger: one entry per refund we asked Alipay for, never overwritten by another. Absent: none. */
  refunds?: RefundEntry[];
  /** Escrow: what the seller reported shipping (send_goods_confirm_by_platform). */
  shipment?: Shipment;
}

export type RefundEntryStatus = 'PENDING' | 'SUCCESS' | 'FAILED';

export interface RefundEntry {
  /** Alipay's batch_no: yyyyMMdd + a serial never reused. */
  batchNo: string;
  amountFen: Fen;
  reason: string;
  /** How it was asked: the seller confirms on Alipay's page (pwd), or server to server (nopwd). */
  mode: 'pwd' | 'nopwd';
  /** PENDING until Alipay reports the result; FAILED refunds nothing and frees the amount again. */
  status: RefundEntryStatus;
  requestedAt: string;
  updatedAt: string;
  /** Alipay's result code of a failed refund (e.g. TRADE_STATUS_ERROR), or how it was settled. */
  result?: string;
  /** The storefront's idempotency key: the same key again is the same refund. */
  requestId: string;
}

export interface Shipment {
  logisticsName: string;
  invoiceNo: string;
  transportType: 'POST' | 'EXPRESS' | 'EMS' | 'DIRECT';
  at: string;
}

/** Only the last entries are kept on the order; the Notifications table holds everything. */
export const HISTORY_LIMIT = 20;
export const ANOMALY_LIMIT = 20;

/**
 * Where news about an order came from: Alipay's async notify (trade status or batch refund result), the buyer's
 * return, a single_trade_query answer; or a command we carried out with Alipay (close_trade, send goods, a refund
 * request), recorded the same way.
 */
export type EventSource = 'notify' | 'return' | 'query' | 'close' | 'ship' | 'refund_request';

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

/** One item of a verified batch_refund_notify: what Alipay did with one refund of one trade. */
export interface RefundResultEvent {
  /** refund#<batch_no>#<trade_no> */
  eventId: string;
  source: 'notify';
  receivedAt: string;
  outTradeNo: string;
  refundResult: {
    batchNo: string;
    tradeNo: string;
    amountFen: Fen;
    /** SUCCESS, or Alipay's error code for the item. */
    result: string;
  };
}

export type OrderEvent = TradeEvent | RefundResultEvent;
export const isRefundResult = (e: OrderEvent): e is RefundResultEvent => 'refundResult' in e;
