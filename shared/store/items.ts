// Orders and event records <-> DynamoDB items (document-client form). Attributes are the domain field names.
import type { Anomaly, HistoryEntry, Order } from '../orders/order.ts';
import type { RefundMark } from '../orders/trade-status.ts';
import type { EventRecord, OrderSummary, OrderWrite } from '../payments/store-port.ts';
import { AWAITING_PAYMENT_ATTR, AWAITING_PAYMENT_VALUE, EVENT_KEY, HAS_ANOMALIES_ATTR, HAS_ANOMALIES_VALUE } from './tables.ts';

export type Item = Record<string, unknown>;

/**
 * The order's item; while it awaits payment it carries the sparse-index marker reconciliation reads, and while it has
 * anomalies the one `orders --anomalies` reads.
 */
export function orderToItem({ order, awaitingPayment }: OrderWrite): Item {
  // Field by field, so nothing the caller happened to attach ends up in the table.
  return {
    outTradeNo: order.outTradeNo,
    service: order.service,
    kind: order.kind,
    subject: order.subject,
    amountFen: order.amountFen,
    acceptedAmountsFen: order.acceptedAmountsFen,
    paidFen: order.paidFen,
    partner: order.partner,
    sellerId: order.sellerId,
    sellerEmail: order.sellerEmail,
    charset: order.charset,
    status: order.status,
    tradeNo: order.tradeNo,
    refund: order.refund,
    version: order.version,
    history: order.history,
    anomalies: order.anomalies,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    gatewayParams: order.gatewayParams,
    refunds: order.refunds,
    shipment: order.shipment,
    ...(awaitingPayment ? { [AWAITING_PAYMENT_ATTR]: AWAITING_PAYMENT_VALUE } : {}),
    ...(order.anomalies.length > 0 ? { [HAS_ANOMALIES_ATTR]: HAS_ANOMALIES_VALUE } : {}),
  };
}

export function orderFromItem(item: Item): Order {
  const r = reader(item, 'order');
  return withoutUndefined({
    outTradeNo: r.str('outTradeNo'),
    service: r.str('service') as Order['service'],
    kind: r.str('kind') as Order['kind'],
    subject: r.str('subject'),
    amountFen: r.optNum('amountFen') as Order['amountFen'],
    acceptedAmountsFen: r.list('acceptedAmountsFen') as Order['acceptedAmountsFen'],
    paidFen: r.optNum('paidFen') as Order['paidFen'],
    partner: r.str('partner'),
    sellerId: r.optStr('sellerId'),
    sellerEmail: r.optStr('sellerEmail'),
    charset: r.str('charset') as Order['charset'],
    status: r.str('status') as Order['status'],
    tradeNo: r.optStr('tradeNo'),
    refund: r.optMap('refund') as RefundMark | undefined,
    version: r.num('version'),
    history: r.list('history') as HistoryEntry[],
    anomalies: r.list('anomalies') as Anomaly[],
    createdAt: r.str('createdAt'),
    updatedAt: r.str('updatedAt'),
    gatewayParams: r.map('gatewayParams') as Record<string, string>,
    refunds: r.optList('refunds') as Order['refunds'],
    shipment: r.optMap('shipment') as Order['shipment'],
  });
}

/** An order as a listing index holds it (see ORDER_SUMMARY_ATTRS). */
export function orderSummaryFromItem(item: Item): OrderSummary {
  const r = reader(item, 'order summary');
  return withoutUndefined({
    outTradeNo: r.str('outTradeNo'),
    service: r.str('service') as OrderSummary['service'],
    status: r.str('status') as OrderSummary['status'],
    amountFen: r.optNum('amountFen') as OrderSummary['amountFen'],
    paidFen: r.optNum('paidFen') as OrderSummary['paidFen'],
    tradeNo: r.optStr('tradeNo'),
    createdAt: r.str('createdAt'),
    updatedAt: r.str('updatedAt'),
    hasAnomalies: item[HAS_ANOMALIES_ATTR] === HAS_ANOMALIES_VALUE,
  });
}

export function recordToItem(record: EventRecord): Item {
  return {
    [EVENT_KEY]: record.eventId,
    notifyId: record.notifyId,
    source: record.source,
    // A key of the by-order index, where DynamoDB refuses an empty string: a record naming no order stays out of it.
    outTradeNo: record.outTradeNo === '' ? undefined : record.outTradeNo,
    tradeStatus: record.tradeStatus,
    receivedAt: record.receivedAt,
    outcome: record.outcome,
    detail: record.detail,
    raw: record.raw, // a Buffer is written as Binary
    expiresAt: record.expiresAt,
  };
}

export function recordFromItem(item: Item): EventRecord {
  const r = reader(item, 'event record');
  return withoutUndefined({
    eventId: r.str(EVENT_KEY),
    notifyId: r.optStr('notifyId'),
    source: r.str('source') as EventRecord['source'],
    outTradeNo: r.optStr('outTradeNo'),
    tradeStatus: r.optStr('tradeStatus'),
    receivedAt: r.str('receivedAt'),
    outcome: r.str('outcome') as EventRecord['outcome'],
    detail: r.optStr('detail'),
    raw: r.bytes('raw'),
    expiresAt: r.num('expiresAt'),
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Typed access to a stored item; a wrong type means the table holds something we did not write. */
function reader(item: Item, what: string) {
  const bad = (name: string, expected: string): Error =>
    new Error(`stored ${what} has no ${expected} attribute ${name} (got ${typeof item[name]}): the item was not written by this store`);
  const optStr = (name: string): string | undefined => {
    const v = item[name];
    if (v === undefined || typeof v === 'string') return v;
    throw bad(name, 'string');
  };
  const optNum = (name: string): number | undefined => {
    const v = item[name];
    if (v === undefined || typeof v === 'number') return v;
    throw bad(name, 'number');
  };
  const optMap = (name: string): Record<string, unknown> | undefined => {
    const v = item[name];
    if (v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array))) {
      return v as Record<string, unknown> | undefined;
    }
    throw bad(name, 'map');
  };
  const required = <T>(name: string, expected: string, v: T | undefined): T => {
    if (v === undefined) throw bad(name, expected);
    return v;
  };
  return {
    optStr,
    optNum,
    optMap,
    str: (name: string) => required(name, 'string', optStr(name)),
    num: (name: string) => required(name, 'number', optNum(name)),
    map: (name: string) => required(name, 'map', optMap(name)),
    optList: (name: string): unknown[] | undefined => {
      const v = item[name];
      if (v === undefined || Array.isArray(v)) return v;
      throw bad(name, 'list');
    },
    list: (name: string): unknown[] => {
      const v = item[name];
      if (Array.isArray(v)) return v;
      throw bad(name, 'list');
    },
    bytes: (name: string): Buffer => {
      const v = item[name];
      if (v instanceof Uint8Array) return Buffer.from(v);
      throw bad(name, 'binary');
    },
  };
}
