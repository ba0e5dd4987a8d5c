// Order events from a committed change (before -> after), through decide as the pipeline writes them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fen } from '../../shared/alipay/amount.ts';
import { deriveOrderEvents, type OrderDomainEvent } from '../../shared/events/order-events.ts';
import { decide } from '../../shared/orders/decide.ts';
import type { Order, OrderEvent, RefundResultEvent, TradeEvent } from '../../shared/orders/order.ts';
import { requestRefund } from '../../shared/orders/refunds.ts';
import { anOrder, TEST_ORDER_PARTNER } from '../support/orders.ts';

const PARTNER = TEST_ORDER_PARTNER;
const TRADE = '2026112421001004380280045538';

const order = anOrder;

let n = 0;
const trade = (tradeStatus: string, over: Partial<TradeEvent> = {}): TradeEvent => ({
  source: 'notify', eventId: `n-${++n}`, receivedAt: `2026-11-24T01:00:0${n % 10}.000Z`, outTradeNo: 'T-1',
  tradeNo: TRADE, tradeStatus, totalFen: 1000 as Fen, useCoupon: false, sellerId: PARTNER, ...over,
});
const refundResult = (batchNo: string, amountFen: number, result = 'SUCCESS'): RefundResultEvent => ({
  eventId: `refund#${batchNo}#${TRADE}`, source: 'notify', receivedAt: '2026-11-24T03:00:00.000Z', outTradeNo: 'T-1',
  refundResult: { batchNo, tradeNo: TRADE, amountFen: amountFen as Fen, result },
});

/** What the store would commit for `event`, or the same order when decide writes nothing. */
function commit(current: Order, event: OrderEvent): Order {
  const d = decide(current, event, { partner: PARTNER });
  return (d.outcome === 'applied' || d.outcome === 'anomaly') && d.next ? d.next : current;
}

/** The events of each step of a life, as a stream of committed changes would give them. */
function life(start: Order, steps: ((o: Order) => Order)[]): { order: Order; events: OrderDomainEvent[][] } {
  let current = start;
  const events: OrderDomainEvent[][] = [];
  for (const step of steps) {
    const next = step(current);
    events.push(next === current ? [] : deriveOrderEvents(current, next));
    current = next;
  }
  return { order: current, events };
}
const types = (events: OrderDomainEvent[][]) => events.map((e) => e.map((x) => x.type));

describe('order events from one committed change', () => {
  test('a new order is no event; paid is Order Paid, with the id, amounts in fen and yuan, trade and version', () => {
    assert.deepEqual(deriveOrderEvents(undefined, order()), []);
    const paid = commit(order(), trade('TRADE_SUCCESS'));
    const [event, ...more] = deriveOrderEvents(order(), paid);
    assert.deepEqual(more, []);
    assert.equal(event!.id, 'T-1#2#Order Paid');
    assert.deepEqual(event!.detail, {
      eventId: 'T-1#2#Order Paid', type: 'Order Paid', outTradeNo: 'T-1', tradeNo: TRADE, service: 'create_direct_pay_by_user',
      status: 'TRADE_SUCCESS', version: 2, occurredAt: paid.updatedAt,
      amount: { fen: 1000, yuan: '10.00' }, paid: { fen: 1000, yuan: '10.00' }, refunded: { fen: 0, yuan: '0.00' },
    });
  });

  test('instant: paid, then finished; a TRADE_FINISHED first is paid and finished at once', () => {
    assert.deepEqual(types(life(order(), [(o) => commit(o, trade('TRADE_SUCCESS')), (o) => commit(o, trade('TRADE_FINISHED'))]).events),
      [['Order Paid'], ['Order Finished']]);
    assert.deepEqual(types(life(order(), [(o) => commit(o, trade('TRADE_FINISHED'))]).events), [['Order Paid', 'Order Finished']]);
  });

  test('escrow: paid into escrow, shipped, finished', () => {
    const escrow = order({ service: 'create_partner_trade_by_buyer', kind: 'escrow' });
    const { events, order: last } = life(escrow, [
      (o) => commit(o, trade('WAIT_BUYER_PAY')),
      (o) => commit(o, trade('WAIT_SELLER_SEND_GOODS')),
      (o) => commit(o, trade('WAIT_BUYER_CONFIRM_GOODS')),
      (o) => commit(o, trade('TRADE_FINISHED')),
    ]);
    assert.deepEqual(types(events), [[], ['Order Paid'], ['Order Shipped'], ['Order Finished']]);
    assert.equal(events[2]![0]!.id, 'T-1#4#Order Shipped');
    assert.equal(last.version, 5);
  });

  test('closed unpaid is Order Closed and never Order Paid', () => {
    assert.deepEqual(types(life(order(), [(o) => commit(o, trade('WAIT_BUYER_PAY')), (o) => commit(o, trade('TRADE_CLOSED'))]).events),
      [[], ['Order Closed']]);
  });

  test('refunds: one event per ledger entry when Alipay settles it; asking for a refund is no event', () => {
    const paid = commit(order(), trade('TRADE_SUCCESS'));
    const ask = (batchNo: string, amountFen: number) => (o: Order): Order => {
      const d = requestRefund(o, { requestId: batchNo, batchNo, amountFen: amountFen as Fen, reason: 'r', mode: 'pwd', at: '2026-11-24T02:00:00.000Z' });
      assert.ok(d.outcome === 'requested');
      return d.next;
    };
    const { events } = life(paid, [
      ask('2026112400000001', 300),
      (o) => commit(o, refundResult('2026112400000001', 300)),
      ask('2026112400000002', 200),
      (o) => commit(o, refundResult('2026112400000002', 200, 'TRADE_STATUS_ERROR')),
    ]);
    assert.deepEqual(types(events), [[], ['Refund Succeeded'], [], ['Refund Failed']]);
    const [succeeded] = events[1]!;
    assert.equal(succeeded!.id, 'T-1#4#Refund Succeeded');
    assert.deepEqual(succeeded!.detail.refund, { batchNo: '2026112400000001', amount: { fen: 300, yuan: '3.00' }, status: 'SUCCESS', result: 'SUCCESS', requestId: '2026112400000001', reason: 'r' });
    assert.deepEqual(succeeded!.detail.refunded, { fen: 300, yuan: '3.00' });
    assert.equal(events[3]![0]!.detail.refund!.result, 'TRADE_STATUS_ERROR');
  });

  test('each new anomaly is an Order Anomaly; two found at once get distinct ids; the old ones are not repeated', () => {
    const paid = commit(order(), trade('TRADE_SUCCESS'));
    const wrong = commit(paid, trade('TRADE_FINISHED', { totalFen: 1 as Fen, tradeNo: '2026112421001004380280000000' }));
    const events = deriveOrderEvents(paid, wrong);
    assert.deepEqual(events.map((e) => e.id), ['T-1#3#Order Anomaly', 'T-1#3#Order Anomaly#2']);
    assert.deepEqual(events.map((e) => e.detail.anomaly!.code).sort(), ['amount_mismatch', 'trade_no_mismatch']);
    const again = commit(wrong, trade('TRADE_FINISHED', { totalFen: 2 as Fen }));
    assert.deepEqual(deriveOrderEvents(wrong, again).map((e) => [e.id, e.detail.anomaly!.code]), [['T-1#4#Order Anomaly', 'amount_mismatch']]);
  });

  test('duplicates, stale news and replays produce no event and no new id', () => {
    const paid = commit(order(), trade('TRADE_SUCCESS'));
    const copy = trade('TRADE_SUCCESS');
    assert.equal(commit(paid, copy), paid, 'decide writes nothing for a copy');
    assert.equal(commit(paid, trade('WAIT_BUYER_PAY')), paid, 'nor for older news');
    // The same change read twice (a stream replay, a retried batch) gives the same ids; an older or equal image none.
    assert.deepEqual(deriveOrderEvents(order(), paid).map((e) => e.id), deriveOrderEvents(order(), paid).map((e) => e.id));
    assert.deepEqual(deriveOrderEvents(paid, paid), []);
    assert.deepEqual(deriveOrderEvents(paid, order()), []);
    assert.deepEqual(deriveOrderEvents(paid, undefined), [], 'a removed order');
    // A change that touches nothing an event speaks of (a tradeNo learnt, history) is no event.
    assert.deepEqual(deriveOrderEvents(paid, { ...paid, version: 3, history: [] }), []);
  });
});
