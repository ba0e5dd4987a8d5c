// The local Alipay sandbox: plays Alipay's side of the legacy mapi gateway (gateway.do, cashier, notify, return,
// notify_verify, single_trade_query, send_goods_confirm_by_platform, close_trade, refund_fastpay_by_platform_pwd and
// _nopwd with the batch refund notification) so a merchant can run the whole
// payment flow on one machine. Everything it does is in its log (GET /sandbox); keys are never logged.
import type { Charset } from './alipay-charset.ts';
import type { PaymentService, RefundService, TradeKind } from './alipay-rules.ts';

export interface SandboxAccount {
  partner: string;
  key: string;
  /** Default: the partner. */
  sellerId?: string;
  sellerEmail?: string;
}

export interface DeliveryKnobs {
  /** Extra identical copies sent alongside every send (0 = none). */
  duplicate: number;
  /** Wait before the first send of each notification. Not applied to held notifications: release() sends at once. */
  delayMs: number;
  /** Queue each notification's first send until release(). */
  hold: boolean;
  /**
   * Lose every new notification for good: never sent, logged as `notify_dropped` (for testing reconciliation). Wins
   * over hold and delayMs; notifications already sent or held keep going.
   */
  drop: boolean;
}

export interface SandboxOptions {
  /** 0/undefined = a free port; always on 127.0.0.1. */
  port?: number;
  accounts: SandboxAccount[];
  /** The real retry intervals (2m, 10m, 10m, 1h, 2h, 6h, 15h) are divided by this; default 600. */
  retrySpeedup?: number;
  /** Instant services: pay → TRADE_SUCCESS ('advanced', the default) or TRADE_FINISHED ('basic'). */
  instantMode?: 'advanced' | 'basic';
  /** How long a return notify_id verifies true; default 60_000. */
  returnIdTtlMs?: number;
  /** Per send; default 15_000. */
  deliveryTimeoutMs?: number;
  knobs?: Partial<DeliveryKnobs>;
  /**
   * Keep the trades and refund batches in `<dataDir>/sandbox-state.json` across restarts (created if missing; an
   * unreadable file stops startSandbox). Absent: everything is in memory. One sandbox per directory at a time.
   */
  dataDir?: string;
  /** The merchant's result page of an order, linked from each row of the log page (the local stack's /shop/result). */
  resultPageUrl?: (outTradeNo: string) => string;
  /** Called with every log entry as it is written, e.g. to print it. */
  onLog?: (entry: SandboxLogEntry) => void;
}

export interface SandboxLogEntry {
  seq: number;
  /** ISO 8601. */
  time: string;
  kind: string;
  tradeNo?: string;
  outTradeNo?: string;
  notifyId?: string;
  detail: string;
}

export type SandboxTradeStatus =
  | 'WAIT_BUYER_PAY'
  | 'WAIT_SELLER_SEND_GOODS'
  | 'WAIT_BUYER_CONFIRM_GOODS'
  | 'TRADE_SUCCESS'
  | 'TRADE_FINISHED'
  | 'TRADE_CLOSED';

/** A read-only snapshot of one trade. Times are Beijing time, `yyyy-MM-dd HH:mm:ss`, as Alipay writes them. */
export interface SandboxTrade {
  readonly partner: string;
  readonly service: PaymentService;
  readonly kind: TradeKind;
  readonly charset: Charset;
  readonly outTradeNo: string;
  readonly tradeNo: string;
  readonly status: SandboxTradeStatus;
  /** REFUND_SUCCESS after any refund, partial (the trade stays TRADE_SUCCESS) or full (TRADE_CLOSED). */
  readonly refundStatus?: 'REFUND_SUCCESS';
  /** Two decimals; '' for a donation without an amount until the donor pays. */
  readonly totalFee: string;
  readonly subject: string;
  readonly body?: string;
  readonly notifyUrl?: string;
  readonly returnUrl?: string;
  readonly sellerId: string;
  readonly sellerEmail: string;
  readonly buyerId: string;
  readonly buyerEmail: string;
  readonly gmtCreate: string;
  readonly gmtPayment?: string;
  readonly gmtSendGoods?: string;
  readonly gmtClose?: string;
  /** The time of the latest refund. */
  readonly gmtRefund?: string;
  /** Every refund applied, oldest first. */
  readonly refunds: readonly SandboxRefund[];
  /** Escrow: the first logistics option of the request, and what the seller shipped with. */
  readonly logistics?: { readonly type: string; readonly fee: string; readonly payment: string; readonly name?: string; readonly invoiceNo?: string };
  /** Every status the trade has had, oldest first. */
  readonly history: readonly { readonly status: SandboxTradeStatus; readonly at: string }[];
  /** The async notify_id of each status change that was notified, oldest first. */
  readonly notifyIds: readonly string[];
  /** The request's parameters as validated (sign and sign_type removed). */
  readonly params: Readonly<Record<string, string>>;
}

/** One refund applied to a trade: by a batch (refund_fastpay_by_platform_pwd/_nopwd), or the cashier's full refund. */
export interface SandboxRefund {
  /** Absent for the cashier's full-refund button. */
  readonly batchNo?: string;
  /** Two decimals. */
  readonly amount: string;
  readonly reason: string;
  readonly at: string;
}

/** A refund batch as the sandbox keeps it (protocol doc §5.4). Times are Beijing time. */
export interface SandboxRefundBatch {
  readonly partner: string;
  readonly service: RefundService;
  readonly charset: Charset;
  /** Unique per partner: never taken again (DUPLICATE_BATCH_NO). */
  readonly batchNo: string;
  readonly refundDate: string;
  /** The seller the request named (seller_user_id, or the account of seller_email). */
  readonly sellerId: string;
  readonly notifyUrl?: string;
  /** detail_data as sent. */
  readonly detailData: string;
  readonly items: readonly { readonly tradeNo: string; readonly amount: string; readonly reason: string }[];
  readonly requestedAt: string;
  /** _pwd: AWAITING_SELLER until the seller confirms on /refund/{partner}/{batch_no}; _nopwd: APPLIED at once. */
  readonly status: 'AWAITING_SELLER' | 'APPLIED';
  readonly appliedAt?: string;
  /** One per item, in order: SUCCESS, or the code of the rule the item broke when the refund was applied. */
  readonly results?: readonly { readonly tradeNo: string; readonly amount: string; readonly result: string }[];
  /** The batch_refund_notify's notify_id (none without notify_url). */
  readonly notifyId?: string;
}

export type TradeAction = 'pay' | 'close' | 'ship' | 'confirm' | 'finish' | 'refund';

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** `${url}/gateway.do` */
  readonly gatewayUrl: string;
  readonly port: number;
  readonly log: readonly SandboxLogEntry[];
  knobs(): DeliveryKnobs;
  setKnobs(k: Partial<DeliveryKnobs>): DeliveryKnobs;
  /** Sends the held notifications (first sends one after another, in that order); returns how many. */
  release(order?: 'fifo' | 'reverse'): number;
  /**
   * Resolves once no send is in flight or scheduled (retries included). Held notifications do not count as
   * pending: with `hold` on, idle() resolves while they wait for release(). Resolves at once after stop().
   */
  idle(): Promise<void>;
  trade(partner: string, outTradeNo: string): SandboxTrade | undefined;
  refundBatch(partner: string, batchNo: string): SandboxRefundBatch | undefined;
  /** The same buttons the cashier page has, for tests and scripts. Rejects when the action is not allowed now. */
  act(tradeNo: string, action: TradeAction, opts?: { totalFee?: string }): Promise<void>;
  /** Stops timers and the server, drops connections. */
  stop(): Promise<void>;
}

export { startSandbox } from './server.ts';
