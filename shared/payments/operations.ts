// What the storefront asks of a payment after checkout: close an unpaid one, confirm shipping of an escrow one, refund
// a paid one. Each asks Alipay first, then writes through the same event record + version-guarded order write.
import { formatYuan, parseYuan, type Fen } from '../alipay/amount.ts';
import { batchNo, beijingTime, checkReason, REFUND_SERVICES, refundParams, type RefundMode } from '../alipay/refunds.ts';
import { buildGatewayRequest, type GatewayForm } from '../alipay/request.ts';
import type { ServerAnswer } from '../alipay/server-call.ts';
import { AlipayError } from '../alipay/errors.ts';
import type { MerchantAccount } from '../alipay/account.ts';
import type { Deadline } from '../deadline.ts';
import type { Order, RefundEntry, Shipment } from '../orders/order.ts';
import { refusedByAlipay, requestRefund } from '../orders/refunds.ts';
import { isAwaitingPayment } from '../orders/trade-status.ts';
import { PaymentError } from './errors.ts';
import { refuseUnknownFields } from './field-names.ts';
import { expiresAt, processTradeEvent, type ProcessDeps } from './process-event.ts';
import { closeEvent } from './reconcile.ts';
import type { EventRecord } from './store-port.ts';
import { refundRequestId } from './refund-ids.ts';

export interface OperationDeps extends ProcessDeps {
  account: MerchantAccount;
  now: () => string;
  closeTrade: (outTradeNo: string, signal: AbortSignal) => Promise<ServerAnswer>;
  sendGoods: (params: Record<string, string>, signal: AbortSignal) => Promise<ServerAnswer>;
  refundNoPwd: (params: Record<string, string>, signal: AbortSignal) => Promise<ServerAnswer>;
  refundMode: RefundMode;
}

async function existing(deps: OperationDeps, outTradeNo: string, deadline: Deadline): Promise<Order> {
  const order = await deps.store.getOrder(outTradeNo, { signal: deadline.signal });
  if (!order) throw new PaymentError('ORDER_NOT_FOUND', `no order ${outTradeNo}`, 'outTradeNo');
  return order;
}

const refused = (service: string, answer: Extract<ServerAnswer, { ok: false }>): PaymentError =>
  new PaymentError('ALIPAY_REFUSED', `Alipay refused ${service}: ${answer.error}`, undefined, { alipayError: answer.error });

const record = (deps: OperationDeps, eventId: string, source: EventRecord['source'], order: Order, raw: Buffer, at: string, detail: string): EventRecord => ({
  eventId, source, outTradeNo: order.outTradeNo, receivedAt: at, outcome: 'applied', detail, raw, expiresAt: expiresAt(at, deps.retentionDays),
});

/** Writes `next` over `order` with an audit record; a concurrent change is the caller's to retry. */
async function write(deps: OperationDeps, rec: EventRecord, order: Order, next: Order, deadline: Deadline): Promise<'committed' | 'event_exists' | 'order_changed'> {
  return deps.store.commitEvent({ record: rec, expectedVersion: order.version, next: { order: next, awaitingPayment: isAwaitingPayment(next.status) } }, { signal: deadline.signal });
}

// ---- close ---------------------------------------------------------------------------------------------------------

/** The storefront's close request: it takes no fields (no body, or {}). */
export function checkCloseRequest(body: Readonly<Record<string, unknown>>): void {
  refuseUnknownFields(body, [], 'a close request', { tail: ': close takes no fields; send no body, or {}' });
}

/** close_trade for an unpaid order, then the order closed through the pipeline. Closing a closed order is a no-op. */
export async function closePayment(deps: OperationDeps, outTradeNo: string, deadline: Deadline): Promise<Order> {
  const order = await existing(deps, outTradeNo, deadline);
  if (order.status === 'TRADE_CLOSED' && order.paidFen === undefined) return order;
  if (!isAwaitingPayment(order.status)) {
    throw new PaymentError('NOT_CLOSABLE', `order ${outTradeNo} is ${order.status}: only an unpaid order can be closed${order.paidFen === undefined ? '' : ' (refund a paid one)'}`, 'outTradeNo');
  }
  const answer = await deps.closeTrade(outTradeNo, deadline.signal);
  // A trade Alipay never created (the buyer never reached the cashier) has nothing to close there.
  if (!answer.ok && answer.error !== 'TRADE_NOT_EXIST') throw refused('close_trade', answer);
  const result = await processTradeEvent(deps, closeEvent(order, deps.now()), answer.raw, { deadline });
  if (result.outcome === 'rejected' || !result.order) throw new Error(`closing ${outTradeNo}: ${result.outcome}`);
  if (result.order.status !== 'TRADE_CLOSED') {
    throw new PaymentError('NOT_CLOSABLE', `order ${outTradeNo} moved to ${result.order.status} meanwhile: ${result.outcome === 'anomaly' ? result.detail : 'it was paid'}`, 'outTradeNo');
  }
  return result.order;
}

// ---- ship ----------------------------------------------------------------------------------------------------------

const TRANSPORT = ['POST', 'EXPRESS', 'EMS', 'DIRECT'] as const;
const SHIPMENT_FIELDS = ['logisticsName', 'invoiceNo', 'transportType'];

/** The storefront's shipping details, checked. */
export function shipmentFrom(body: Readonly<Record<string, unknown>>, at: string): Shipment {
  const text = (name: string, max: number, required: boolean): string => {
    const v = body[name];
    if (v === undefined && !required) return '';
    if (v === undefined) throw new AlipayError('MISSING_PARAMETER', `${name} is required to ship`, name);
    if (typeof v !== 'string' || v.trim() === '' || v.length > max || /[\u0000-\u001F\u007F&=]/.test(v)) {
      throw new AlipayError('INVALID_PARAMETER', `${name} must be text of 1 to ${max} characters without control characters, "&" or "="`, name);
    }
    return v;
  };
  refuseUnknownFields(body, SHIPMENT_FIELDS, 'a shipment', { tail: `: use ${SHIPMENT_FIELDS.join(', ')}` });
  const transportType = body.transportType;
  if (transportType === undefined) throw new AlipayError('MISSING_PARAMETER', `transportType is required to ship; one of ${TRANSPORT.join(', ')}`, 'transportType');
  if (!TRANSPORT.includes(transportType as (typeof TRANSPORT)[number])) {
    throw new AlipayError('INVALID_PARAMETER', `transportType must be one of ${TRANSPORT.join(', ')}`, 'transportType');
  }
  const invoiceNo = text('invoiceNo', 64, transportType !== 'DIRECT');
  return { logisticsName: text('logisticsName', 64, true), invoiceNo, transportType: transportType as Shipment['transportType'], at };
}

/**
 * send_goods_confirm_by_platform for an escrow trade waiting for the seller; the shipment is recorded on the order,
 * whose status moves when Alipay's WAIT_BUYER_CONFIRM_GOODS notification comes. The same shipment again is a no-op.
 */
export async function shipPayment(deps: OperationDeps, outTradeNo: string, shipment: Shipment, deadline: Deadline): Promise<Order> {
  for (;;) {
    const order = await existing(deps, outTradeNo, deadline);
    if (order.shipment) {
      const same = order.shipment.logisticsName === shipment.logisticsName && order.shipment.invoiceNo === shipment.invoiceNo && order.shipment.transportType === shipment.transportType;
      if (same) return order;
      throw new PaymentError('ALREADY_SHIPPED', `order ${outTradeNo} was shipped already (${order.shipment.logisticsName} ${order.shipment.invoiceNo})`, 'outTradeNo');
    }
    if (order.status !== 'WAIT_SELLER_SEND_GOODS' || !order.tradeNo) {
      throw new PaymentError('NOT_SHIPPABLE', `order ${outTradeNo} is ${order.status}: only an escrow trade paid and waiting for the seller (WAIT_SELLER_SEND_GOODS) can be shipped`, 'outTradeNo');
    }
    const answer = await deps.sendGoods({
      trade_no: order.tradeNo, logistics_name: shipment.logisticsName, transport_type: shipment.transportType,
      ...(shipment.invoiceNo ? { invoice_no: shipment.invoiceNo } : {}),
    }, deadline.signal);
    if (!answer.ok) throw refused('send_goods_confirm_by_platform', answer);
    const next: Order = { ...order, version: order.version + 1, updatedAt: shipment.at, shipment };
    const done = await write(deps, record(deps, `ship#${outTradeNo}`, 'ship', order, answer.raw, shipment.at, `${shipment.logisticsName} ${shipment.invoiceNo}`), order, next, deadline);
    if (done === 'committed') return next;
    // Changed meanwhile (a notification, a concurrent ship): look again; Alipay keeps the first confirmation.
    deadline.check();
  }
}

// ---- refund --------------------------------------------------------------------------------------------------------

export interface RefundAsk {
  amountFen: Fen;
  reason: string;
  /** The storefront's key for this refund: the same key again is the same refund, never a second one. */
  requestId: string;
  mode: RefundMode;
}

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const REFUND_FIELDS = ['amount', 'reason', 'requestId', 'mode'];

/** The storefront's refund request, checked. */
export function refundAskFrom(body: Readonly<Record<string, unknown>>, defaultMode: RefundMode, fallbackRequestId: string): RefundAsk {
  refuseUnknownFields(body, REFUND_FIELDS, 'a refund', { tail: `: use ${REFUND_FIELDS.join(', ')}` });
  for (const name of ['amount', 'reason']) if (body[name] === undefined) throw new AlipayError('MISSING_PARAMETER', `${name} is required for a refund`, name);
  const amountFen = parseYuan(body.amount, 'amount');
  if (typeof body.reason !== 'string') throw new AlipayError('INVALID_PARAMETER', 'reason must be text: Alipay shows it to the buyer', 'reason');
  const reason = checkReason(body.reason);
  const requestId = body.requestId === undefined ? fallbackRequestId : body.requestId;
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) throw new AlipayError('INVALID_PARAMETER', 'requestId must be 1 to 64 of A-Z a-z 0-9 _ -', 'requestId');
  const mode = body.mode === undefined ? defaultMode : body.mode;
  if (mode !== 'pwd' && mode !== 'nopwd') throw new AlipayError('INVALID_PARAMETER', 'mode must be "pwd" (the seller confirms on Alipay\'s page) or "nopwd"', 'mode');
  return { amountFen, reason, requestId, mode };
}

export interface RefundAnswer {
  created: boolean;
  refund: RefundEntry;
  order: Order;
  /** pwd: the signed request the seller opens to confirm the refund on Alipay's page. */
  confirm?: { url: string; form: Pick<GatewayForm, 'action' | 'method' | 'fields'> };
  /** Asked again on a later day: Alipay no longer takes this batch, so nothing was sent; it settles by notification. */
  stale?: boolean;
}

/**
 * One refund in the order's ledger, with its own batch_no, never more than was paid (the domain checks, the version
 * guard makes it hold under concurrency), then asked of Alipay: nopwd server to server, pwd as a page for the seller.
 * The result arrives as a batch refund notification and settles the ledger entry.
 */
export async function refundPayment(deps: OperationDeps, outTradeNo: string, ask: RefundAsk, deadline: Deadline): Promise<RefundAnswer> {
  // The batch's date and its refund_date must be the same day (Alipay refuses REFUND_DATE_ERROR): fixed once, before
  // any retry, even one that crosses midnight.
  const at = deps.now();
  let batch: string | undefined;
  for (;;) {
    const order = await existing(deps, outTradeNo, deadline);
    batch ??= batchNo(beijingTime(new Date(at)), await deps.store.nextSerial('refund-batch', { signal: deadline.signal }));
    const decision = requestRefund(order, { requestId: ask.requestId, batchNo: batch, amountFen: ask.amountFen, reason: ask.reason, mode: ask.mode, at });
    if (decision.outcome === 'refused') throw new PaymentError(decision.code, decision.detail, decision.code === 'REQUEST_ID_REUSED' ? 'requestId' : 'amount');
    if (decision.outcome === 'same_request') return send(deps, order, decision.entry, false, deadline);
    const raw = Buffer.from(JSON.stringify({ amount: formatYuan(ask.amountFen), reason: ask.reason, requestId: ask.requestId, mode: ask.mode }));
    // The record also maps batch_no to the order, for the batch refund notification (which names no out_trade_no).
    const done = await write(deps, record(deps, refundRequestId(batch), 'refund_request', order, raw, at, `${formatYuan(ask.amountFen)} ${ask.mode}`), order, decision.next, deadline);
    if (done === 'committed') return send(deps, decision.next, decision.entry, true, deadline);
    deadline.check(); // another write won: decide again on the new version (the same batch_no, still unused)
  }
}

async function send(deps: OperationDeps, order: Order, entry: RefundEntry, created: boolean, deadline: Deadline): Promise<RefundAnswer> {
  // Alipay takes a batch only on the day of its batch_no. Asked again on a later day, a pending refund cannot be sent
  // again: the seller may have confirmed it already (its notification lost). Reconciliation or the batch notification
  // settles it; a new refund needs a new requestId.
  if (!created && beijingTime(new Date(entry.requestedAt)).slice(0, 10) !== beijingTime(new Date(deps.now())).slice(0, 10)) {
    return { created, refund: entry, order, stale: true };
  }
  const params = refundParams({
    batchNo: entry.batchNo, refundDate: beijingTime(new Date(entry.requestedAt)),
    items: [{ tradeNo: order.tradeNo!, amountFen: entry.amountFen, reason: entry.reason }],
    notifyUrl: deps.account.notifyUrl, sellerUserId: deps.account.sellerId,
  });
  if (entry.mode === 'pwd') {
    const request = buildGatewayRequest({
      params: { service: REFUND_SERVICES.pwd, partner: deps.account.partner, _input_charset: deps.account.charset, ...params },
      key: deps.account.key, charset: deps.account.charset, gatewayUrl: deps.account.gatewayUrl,
    });
    const { action, method, fields } = request.form;
    return { created, refund: entry, order, confirm: { url: request.url, form: { action, method, fields } } };
  }
  if (entry.status !== 'PENDING') return { created, refund: entry, order };
  const answer = await deps.refundNoPwd(params, deadline.signal);
  // Asked again with the same batch_no (a retry of the same requestId), Alipay says it has it already.
  if (answer.ok || answer.error === 'DUPLICATE_BATCH_NO') return { created, refund: entry, order };
  // Only a first request that Alipay refused is known not to have been taken; a retry's refusal proves nothing.
  if (created) await markRefused(deps, order.outTradeNo, entry.batchNo, answer, deadline);
  throw refused(REFUND_SERVICES.nopwd, answer);
}

/** A refund Alipay would not take: its ledger entry fails, so its amount can be refunded again. */
async function markRefused(deps: OperationDeps, outTradeNo: string, batch: string, answer: Extract<ServerAnswer, { ok: false }>, deadline: Deadline): Promise<void> {
  for (;;) {
    const order = await existing(deps, outTradeNo, deadline);
    const at = deps.now();
    const next = refusedByAlipay(order, batch, answer.error, at);
    if (!next) return;
    const rec = record(deps, `refund-refused#${batch}`, 'refund_request', order, answer.raw, at, `refused: ${answer.error}`);
    if ((await write(deps, rec, order, next, deadline)) !== 'order_changed') return;
    deadline.check();
  }
}
