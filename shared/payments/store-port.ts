// What the use cases need from storage. The DynamoDB adapter in shared/store implements it; tests may fake it.
import type { Fen } from '../alipay/amount.ts';
import type { EventSource, Order } from '../orders/order.ts';
import type { OrderStatus } from '../orders/trade-status.ts';

export type EventOutcome = 'applied' | 'duplicate' | 'stale' | 'anomaly' | `rejected:${string}`;

/** One event as received (a signed notify or return, a query answer), kept for dedupe, audit and replay. */
export interface EventRecord {
  /** The dedupe key: the notify_id for notify and return; derived for sources without one. */
  eventId: string;
  source: EventSource;
  /** The notify_id the message carried, for notify and return. */
  notifyId?: string;
  outTradeNo?: string;
  tradeStatus?: string;
  receivedAt: string;
  outcome: EventOutcome;
  detail?: string;
  /** The raw body (notify) or query string (return), byte for byte. */
  raw: Buffer;
  /** Unix seconds after which DynamoDB TTL may delete the record. Reads never rely on deletion. */
  expiresAt: number;
}

export type CreateOrderResult = { created: true } | { created: false; existing: Order };

export type CommitResult =
  | 'committed'
  | 'event_exists' // the event id was recorded meanwhile: a concurrent copy won
  | 'order_changed'; // the order's version moved on: read again and decide again

/** The order as the domain decided it, and whether reconciliation should still look at it. */
export interface OrderWrite {
  order: Order;
  /** Still waiting for the buyer: kept in the sparse index reconciliation reads. */
  awaitingPayment: boolean;
}

export interface CommitInput {
  record: EventRecord;
  /** The version the decision was made on; the write happens only if the stored order still has it. */
  expectedVersion?: number;
  /** The next order (version expectedVersion + 1); absent when the event changes no order. */
  next?: OrderWrite;
}

/** Per call: abandoned when the signal aborts (the request's deadline). */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Storage failed in a way that may pass (throttling, conflict, 5xx, network, deadline): answer `fail` so Alipay retries. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly transient = true;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

export interface PaymentStore {
  /** Conditional put: never overwrites an existing order. A new order awaits payment. */
  createOrder(order: Order, opts?: CallOptions): Promise<CreateOrderResult>;
  getOrder(outTradeNo: string, opts?: CallOptions): Promise<Order | undefined>;
  /**
   * The order (when `outTradeNo` is given) and the record of `eventId`, in one round trip, strongly consistent.
   */
  readForEvent(outTradeNo: string | undefined, eventId: string, opts?: CallOptions): Promise<{ order?: Order; record?: EventRecord }>;
  /** One transaction: the record if its event id is new, and the next order if the stored one still has `expectedVersion`. */
  commitEvent(input: CommitInput, opts?: CallOptions): Promise<CommitResult>;
  /** Keeps a signed message Alipay disowned (notify_verify false/invalid) without claiming its event id. */
  recordRejected(record: EventRecord, opts?: CallOptions): Promise<void>;
  /**
   * Orders still awaiting payment, created before `createdBefore` (and, when given, at or after `createdAfter`),
   * oldest first, one page at a time: reads only the sparse index, so the cost grows with the pending orders, not
   * with all orders.
   */
  listAwaitingPayment(query: { createdBefore: string; createdAfter?: string; limit: number; after?: PageCursor }, opts?: CallOptions): Promise<AwaitingPage>;
  /**
   * Orders newest first, one page at a time, for an operator: by status, only those with anomalies, created since a
   * time. Reads indexes only (never the whole table); pass `next` back as `cursor`, with the same query, to go on.
   */
  listOrders(query: OrderQuery, opts?: CallOptions): Promise<OrderPage>;
  /** Every event record about one order (rejected ones included), oldest first, one page at a time; reads an index. */
  listEventRecords(outTradeNo: string, query: { limit: number; cursor?: PageCursor }, opts?: CallOptions): Promise<EventRecordPage>;
  /** The next value of a counter that never repeats (e.g. refund batch serials). */
  nextSerial(name: string, opts?: CallOptions): Promise<number>;
  /** Where a long job (reconciliation) left off; undefined: start from the beginning. */
  readCursor(name: string, opts?: CallOptions): Promise<PageCursor | undefined>;
  writeCursor(name: string, cursor: PageCursor | undefined, opts?: CallOptions): Promise<void>;
}

/** Where a listing left off: pass it back to continue. Opaque to callers. */
export type PageCursor = Readonly<Record<string, string>>;

export interface OrderQuery {
  status?: OrderStatus;
  /** Only orders with anomalies recorded on them. */
  anomalies?: boolean;
  /** Only orders created at or after this ISO 8601 time. */
  since?: string;
  limit: number;
  cursor?: PageCursor;
}

/** What a listing shows of an order; getOrder has the rest. */
export interface OrderSummary {
  outTradeNo: string;
  service: Order['service'];
  status: OrderStatus;
  amountFen?: Fen;
  paidFen?: Fen;
  tradeNo?: string;
  createdAt: string;
  updatedAt: string;
  hasAnomalies: boolean;
}

export interface OrderPage {
  orders: OrderSummary[];
  next?: PageCursor;
}

export interface EventRecordPage {
  records: EventRecord[];
  next?: PageCursor;
}

export interface AwaitingPage {
  orders: { outTradeNo: string; createdAt: string }[];
  next?: PageCursor;
}
