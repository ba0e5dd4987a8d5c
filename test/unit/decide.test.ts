import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, type Decision } from '../../shared/orders/decide.ts';
import type { Order, TradeEvent } from '../../shared/orders/order.ts';
import type { Fen } from '../../shared/alipay/amount.ts';
import { classifyMove, laterRefund } from '../../shared/orders/trade-status.ts';
import { anOrder, TEST_ORDER_PARTNER } from '../support/orders.ts';

const PARTNER = TEST_ORDER_PARTNER;
const ctx = { partner: PARTNER };

const order = anOrder;

function event(tradeStatus: string, over: Partial<TradeEvent> = {}): TradeEvent {
  return {
    source: 'notify', eventId: `n-${tradeStatus}`, receivedAt: '2026-11-24T01:00:00.000Z', outTradeNo: 'T-1',
    tradeNo: '2026112421001004380280045538', tradeStatus, totalFen: 1000 as Fen, useCoupon: false, sellerId: PARTNER, ...over,
  };
}

/** Runs events through decide, writing what it decides as the store would. */
function run(start: Order, events: TradeEvent[]): { order: Order; decisions: Decision[] } {
  let current = start;
  const decisions: Decision[] = [];
  for (const e of events) {
    const d = decide(current, e, ctx);
    decisions.push(d);
    if ((d.outcome === 'applied' || d.outcome === 'anomaly') && d.next) current = d.next;
  }
  return { order: current, decisions };
}

describe('decide: a paid notification', () => {
  test('moves a new order to TRADE_SUCCESS and records the amount paid and the trade number', () => {
    const d = decide(order(), event('TRADE_SUCCESS'), ctx);
    assert.ok(d.outcome === 'applied');
    assert.equal(d.next.status, 'TRADE_SUCCESS');
    assert.equal(d.next.paidFen, 1000);
    assert.equal(d.next.tradeNo, '2026112421001004380280045538');
    assert.equal(d.next.version, 2);
    assert.deepEqual(d.next.history, [{ at: '2026-11-24T01:00:00.000Z', source: 'notify', eventId: 'n-TRADE_SUCCESS', status: 'TRADE_SUCCESS' }]);
  });

  test('the same status again is a duplicate and changes nothing', () => {
    const { decisions } = run(order(), [event('TRADE_SUCCESS'), event('TRADE_SUCCESS', { eventId: 'other' })]);
    assert.equal(decisions[1]!.outcome, 'duplicate');
  });

  test('a late WAIT_BUYER_PAY after TRADE_SUCCESS is stale', () => {
    const { order: o, decisions } = run(order(), [event('TRADE_SUCCESS'), event('WAIT_BUYER_PAY')]);
    assert.equal(decisions[1]!.outcome, 'stale');
    assert.equal(o.status, 'TRADE_SUCCESS');
  });

  test('TRADE_FINISHED months after TRADE_SUCCESS is applied', () => {
    const { order: o } = run(order(), [event('TRADE_SUCCESS'), event('TRADE_FINISHED', { receivedAt: '2027-02-24T01:00:00.000Z' })]);
    assert.equal(o.status, 'TRADE_FINISHED');
  });

  test('a full refund closes a paid trade', () => {
    const { order: o } = run(order(), [event('TRADE_SUCCESS'), event('TRADE_CLOSED', { refundStatus: 'REFUND_SUCCESS', gmtRefund: '2026-11-25 10:00:00' })]);
    assert.equal(o.status, 'TRADE_CLOSED');
    assert.equal(o.refund?.status, 'REFUND_SUCCESS');
  });

  test('a partial refund keeps TRADE_SUCCESS and tracks refund_status beside it', () => {
    const { order: o, decisions } = run(order(), [event('TRADE_SUCCESS'), event('TRADE_SUCCESS', { eventId: 'r', refundStatus: 'REFUND_SUCCESS' })]);
    assert.equal(decisions[1]!.outcome, 'applied');
    assert.equal(o.status, 'TRADE_SUCCESS');
    assert.equal(o.refund?.status, 'REFUND_SUCCESS');
  });
});

describe('decide: anomalies are recorded and never mark an order paid', () => {
  const anomalyCodes = (d: Decision) => (d.outcome === 'anomaly' ? d.anomalies.map((a) => a.code) : []);

  test('a different total_fee', () => {
    assert.deepEqual(anomalyCodes(decide(order(), event('TRADE_SUCCESS', { totalFen: 1 as Fen }), ctx)), ['amount_mismatch']);
  });
  test('a missing total_fee', () => {
    const { totalFen: _omit, ...noFee } = event('TRADE_SUCCESS');
    assert.deepEqual(anomalyCodes(decide(order(), noFee, ctx)), ['amount_missing']);
  });
  test('a coupon: total_fee + |discount| equals the order amount', () => {
    const e = event('TRADE_SUCCESS', { totalFen: 800 as Fen, discountFen: -200 as Fen, useCoupon: true });
    assert.equal(decide(order(), e, ctx).outcome, 'applied');
    assert.deepEqual(anomalyCodes(decide(order(), { ...e, useCoupon: false }, ctx)), ['amount_mismatch']);
  });
  test('another seller', () => {
    assert.deepEqual(anomalyCodes(decide(order(), event('TRADE_SUCCESS', { sellerId: '2088000000000001' }), ctx)), ['seller_mismatch']);
  });
  test('another partner', () => {
    assert.deepEqual(anomalyCodes(decide(order(), event('TRADE_SUCCESS', { partner: '2088000000000001' }), ctx)), ['partner_mismatch']);
  });
  test('an unknown out_trade_no', () => {
    assert.deepEqual(anomalyCodes(decide(undefined, event('TRADE_SUCCESS'), ctx)), ['unknown_order']);
  });
  test('an unknown trade_status', () => {
    assert.deepEqual(anomalyCodes(decide(order(), event('TRADE_WHATEVER'), ctx)), ['unknown_trade_status']);
  });
  test('an escrow status on an instant trade', () => {
    assert.deepEqual(anomalyCodes(decide(order(), event('WAIT_SELLER_SEND_GOODS'), ctx)), ['unexpected_status']);
    assert.deepEqual(anomalyCodes(decide(order({ status: 'TRADE_PENDING' }), event('WAIT_BUYER_CONFIRM_GOODS'), ctx)), ['unexpected_status']);
  });
  test('a donation records what the donor paid instead of comparing', () => {
    const donation = order({ service: 'create_donate_trade_p', amountFen: undefined, acceptedAmountsFen: [] });
    const d = decide(donation, event('TRADE_FINISHED', { totalFen: 12345 as Fen }), ctx);
    assert.ok(d.outcome === 'applied');
    assert.equal(d.next.paidFen, 12345);
  });
  test('escrow with logistics alternatives accepts each chargeable total', () => {
    const escrow = order({ service: 'create_partner_trade_by_buyer', kind: 'escrow', acceptedAmountsFen: [1000 as Fen, 1500 as Fen] });
    assert.equal(decide(escrow, event('WAIT_SELLER_SEND_GOODS', { totalFen: 1500 as Fen }), ctx).outcome, 'applied');
    assert.equal(decide(escrow, event('WAIT_SELLER_SEND_GOODS', { totalFen: 1200 as Fen }), ctx).outcome, 'anomaly');
  });
});

describe('every delivery order of a lifecycle ends in the same state', () => {
  const lifecycles: Array<{ name: string; start: Order; events: TradeEvent[]; final: string }> = [
    { name: 'instant (advanced)', start: order(), events: ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED'].map((s) => event(s)), final: 'TRADE_FINISHED' },
    {
      name: 'escrow', start: order({ service: 'create_partner_trade_by_buyer', kind: 'escrow' }),
      events: ['WAIT_BUYER_PAY', 'WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_FINISHED'].map((s) => event(s)), final: 'TRADE_FINISHED',
    },
    {
      name: 'instant with partial refunds', start: order(),
      events: [
        event('TRADE_SUCCESS'),
        event('TRADE_SUCCESS', { eventId: 'r1', refundStatus: 'REFUND_SUCCESS', gmtRefund: '2026-11-25 10:00:00' }),
        event('TRADE_SUCCESS', { eventId: 'r2', refundStatus: 'REFUND_CLOSED', gmtRefund: '2026-11-26 10:00:00' }),
        event('TRADE_FINISHED'),
      ],
      final: 'TRADE_FINISHED',
    },
  ];
  for (const lc of lifecycles) {
    test(lc.name, () => {
      const inOrder = run(lc.start, lc.events).order;
      assert.equal(inOrder.status, lc.final);
      fc.assert(
        fc.property(fc.shuffledSubarray(lc.events, { minLength: lc.events.length, maxLength: lc.events.length }), fc.integer({ min: 0, max: 3 }), (shuffled, dupes) => {
          const withDuplicates = [...shuffled, ...shuffled.slice(0, dupes)];
          const end = run(lc.start, withDuplicates).order;
          assert.equal(end.status, inOrder.status);
          assert.deepEqual(end.refund, inOrder.refund);
          assert.equal(end.tradeNo, inOrder.tradeNo);
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe('trade-status tables', () => {
  test('an order never moves backwards', () => {
    assert.equal(classifyMove('instant', 'TRADE_FINISHED', 'TRADE_SUCCESS'), 'backward');
    assert.equal(classifyMove('instant', 'TRADE_CLOSED', 'TRADE_FINISHED'), 'backward');
    assert.equal(classifyMove('escrow', 'WAIT_BUYER_CONFIRM_GOODS', 'WAIT_SELLER_SEND_GOODS'), 'backward');
    assert.equal(classifyMove('escrow', 'CREATED', 'WAIT_BUYER_PAY'), 'forward');
  });
  test('the later refund mark wins whatever the arrival order', () => {
    const a = { status: 'REFUND_SUCCESS' as const, at: '2026-11-25 10:00:00' };
    const b = { status: 'REFUND_CLOSED' as const, at: '2026-11-26 10:00:00' };
    assert.deepEqual(laterRefund(a, b), b);
    assert.deepEqual(laterRefund(b, a), b);
  });
});
