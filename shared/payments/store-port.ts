// What the payment flow needs from storage. The DynamoDB adapter in shared/store implements it; tests may fake it.
import type { Anomaly, EventSource, Order } from '../orders/order.ts';
import type { OrderChange } from '../orders/decide.ts';

export type NotificationOutcome = 'applied' | 'duplicate' | 'stale' | 'anomaly' | `rejected:${string}`;

/** One received notification (or verified return), kept for audit and replay. */
export interface NotificationRecord {
  notifyId: string;
  source: EventSource;
  outTradeNo?: string;
  tradeStatus?: string;
  receivedAt: string;
  outcome: NotificationOutcome;
  detail?: string;
  /** The raw body (notify) or query string (return), byte for byte. */
  raw: Buffer;
  /** Unix seconds after which DynamoDB TTL may delete the record. Reads never rely on deletion. */
  expiresAt: number;
}

export type CreateOrderResult = { created: true } | { created: false; existing: Order };

export type CommitResult =
  | 'committed'
  | 'notification_exists' // the notify_id was recorded meanwhile: a concurrent duplicate won
  | 'order_changed'; // the order's version moved on: read again and decide again

export interface CommitInput {
  record: NotificationRecord;
  /** The order as read (its version guards the update); absent for an unknown out_trade_no. */
  order?: Order;
  change?: OrderChange;
  anomalies?: Anomaly[];
}

/** Storage failed in a way that may pass (throttling, conflict, 5xx, network): answer `fail` so Alipay retries. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly transient = true;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

export interface PaymentStore {
  /** Conditional put: never overwrites an existing order. */
  createOrder(order: Order): Promise<CreateOrderResult>;
  getOrder(outTradeNo: string): Promise<Order | undefined>;
  /** The order and the notification record for `notifyId`, in one round trip, strongly consistent. */
  readForEvent(outTradeNo: string, notifyId: string | undefined): Promise<{ order?: Order; notification?: NotificationRecord }>;
  /**
   * One transaction: put the notification record if its notify_id is new, and apply the change and/or
   * anomalies to the order if its version is still the one read.
   */
  commitEvent(input: CommitInput): Promise<CommitResult>;
  /** Keeps a notification that was refused (bad signature, ATN false) without claiming its notify_id. */
  recordRejected(record: NotificationRecord): Promise<void>;
}
