// The PaymentStore port in memory, with the DynamoDB adapter's semantics (conditional record, version guard), for unit
// tests of the use cases. The integration tests use the real adapter against DynamoDB Local.
import type { Order } from '../../shared/orders/order.ts';
import {
  type AwaitingPage, type CommitInput, type EventRecord, type EventRecordPage, type OrderPage, type OrderQuery, type PageCursor, type PaymentStore,
  StoreUnavailableError,
} from '../../shared/payments/store-port.ts';

/** An in-memory store with the port's semantics, and a switch to fail commits the way DynamoDB does under contention. */
export class MemoryStore implements PaymentStore {
  orders = new Map<string, Order>();
  records = new Map<string, EventRecord>();
  rejected: EventRecord[] = [];
  failNextCommits = 0;
  /** Runs before each commit, e.g. to let a concurrent copy win. */
  beforeCommit?: () => void;
  async createOrder(order: Order) {
    const existing = this.orders.get(order.outTradeNo);
    if (existing) return { created: false as const, existing };
    this.orders.set(order.outTradeNo, order);
    return { created: true as const };
  }
  async getOrder(id: string) {
    return this.orders.get(id);
  }
  async readForEvent(id: string | undefined, eventId: string) {
    const order = id === undefined ? undefined : this.orders.get(id);
    const record = this.records.get(eventId);
    return { ...(order ? { order } : {}), ...(record ? { record } : {}) };
  }
  async commitEvent(input: CommitInput) {
    this.beforeCommit?.();
    if (this.failNextCommits > 0) {
      this.failNextCommits--;
      throw new StoreUnavailableError('TransactionConflict');
    }
    if (this.records.has(input.record.eventId)) return 'event_exists' as const;
    const current = input.next && this.orders.get(input.next.order.outTradeNo);
    if (input.next && current?.version !== input.expectedVersion) return 'order_changed' as const;
    this.records.set(input.record.eventId, input.record);
    if (input.next) this.orders.set(input.next.order.outTradeNo, input.next.order);
    return 'committed' as const;
  }
  async recordRejected(record: EventRecord) {
    this.rejected.push(record);
  }
  /** Index reads, for tests that count the cost of a pass. */
  indexReads = 0;
  async listAwaitingPayment(query: { createdBefore: string; createdAfter?: string; limit: number; after?: PageCursor }): Promise<AwaitingPage> {
    this.indexReads++;
    const pending = [...this.orders.values()]
      .filter((o) => (o.status === 'CREATED' || o.status === 'WAIT_BUYER_PAY') && o.createdAt < query.createdBefore)
      .filter((o) => query.createdAfter === undefined || o.createdAt >= query.createdAfter)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.outTradeNo < b.outTradeNo ? -1 : 1));
    const start = query.after ? pending.findIndex((o) => o.outTradeNo === query.after!.outTradeNo) + 1 : 0;
    const page = pending.slice(start, start + query.limit);
    const more = start + query.limit < pending.length;
    return {
      orders: page.map((o) => ({ outTradeNo: o.outTradeNo, createdAt: o.createdAt })),
      ...(more ? { next: { outTradeNo: page.at(-1)!.outTradeNo } } : {}),
    };
  }
  async listOrders(query: OrderQuery): Promise<OrderPage> {
    const position = (o: Order) => `${o.createdAt}|${o.outTradeNo}`;
    const matching = [...this.orders.values()]
      .filter((o) => (query.status === undefined || o.status === query.status) && (query.since === undefined || o.createdAt >= query.since))
      .filter((o) => !query.anomalies || o.anomalies.length > 0)
      .filter((o) => query.cursor === undefined || position(o) < query.cursor.after!)
      .sort((a, b) => position(b).localeCompare(position(a)));
    const page = matching.slice(0, query.limit);
    return {
      orders: page.map((o) => ({
        outTradeNo: o.outTradeNo, service: o.service, status: o.status, createdAt: o.createdAt, updatedAt: o.updatedAt, hasAnomalies: o.anomalies.length > 0,
        ...(o.amountFen === undefined ? {} : { amountFen: o.amountFen }),
        ...(o.paidFen === undefined ? {} : { paidFen: o.paidFen }),
        ...(o.tradeNo === undefined ? {} : { tradeNo: o.tradeNo }),
      })),
      ...(matching.length > query.limit ? { next: { after: position(page.at(-1)!) } } : {}),
    };
  }
  async listEventRecords(outTradeNo: string, query: { limit: number; cursor?: PageCursor }): Promise<EventRecordPage> {
    const all = [...this.records.values(), ...this.rejected]
      .filter((r) => r.outTradeNo === outTradeNo)
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    const start = query.cursor ? Number(query.cursor.offset) : 0;
    const records = all.slice(start, start + query.limit);
    return { records, ...(start + query.limit < all.length ? { next: { offset: String(start + query.limit) } } : {}) };
  }
  cursors = new Map<string, PageCursor>();
  async readCursor(name: string) {
    return this.cursors.get(name);
  }
  async writeCursor(name: string, cursor: PageCursor | undefined) {
    if (cursor) this.cursors.set(name, cursor);
    else this.cursors.delete(name);
  }
  private counters = new Map<string, number>();
  async nextSerial(name: string) {
    const n = (this.counters.get(name) ?? 0) + 1;
    this.counters.set(name, n);
    return n;
  }
}
