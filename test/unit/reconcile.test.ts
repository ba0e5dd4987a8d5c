// Reconciliation over the store port: lost notifications recovered from single_trade_query, unpaid orders closed past
// their deadline, bounded and resumable work, a dry run that writes nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fen } from '../../shared/alipay/amount.ts';
import type { ServerAnswer } from '../../shared/alipay/server-call.ts';
import { Deadline } from '../../shared/deadline.ts';
import { decide } from '../../shared/orders/decide.ts';
import type { Order } from '../../shared/orders/order.ts';
import { reconcile, type ReconcileDeps } from '../../shared/payments/reconcile.ts';
import { MemoryStore } from '../support/memory-store.ts';

const PARTNER = '2088101568358171';
const NOW = '2026-11-30T12:00:00.000Z';
const HOUR = 3_600_000;

const anOrder = (outTradeNo: string, createdAt: string, over: Partial<Order> = {}): Order => ({
  outTradeNo, service: 'create_direct_pay_by_user', kind: 'instant', subject: 's', amountFen: 1000 as Fen,
  acceptedAmountsFen: [1000 as Fen], partner: PARTNER, sellerId: PARTNER, charset: 'utf-8', status: 'CREATED', version: 1,
  history: [], anomalies: [], createdAt, updatedAt: createdAt, gatewayParams: {}, ...over,
});

const raw = Buffer.from('<alipay/>');
const paidTrade = (outTradeNo: string, status = 'TRADE_SUCCESS'): ServerAnswer => ({
  ok: true, raw,
  response: { out_trade_no: outTradeNo, trade_no: `2026113021001004${outTradeNo.replace(/\D/g, '').padStart(12, '0')}`, trade_status: status, total_fee: '10.00', seller_id: PARTNER, use_coupon: 'F' },
});
const notExist: ServerAnswer = { ok: false, error: 'TRADE_NOT_EXIST', raw };

function setup(answers: (outTradeNo: string) => ServerAnswer) {
  const store = new MemoryStore();
  const queried: string[] = [];
  const closed: string[] = [];
  const deps: ReconcileDeps = {
    store, partner: PARTNER, retentionDays: 1, now: () => NOW, minAgeMs: 30 * 60_000, closeAfterMs: 48 * HOUR,
    queryTrade: async (o) => {
      queried.push(o);
      return answers(o);
    },
    closeTrade: async (o) => {
      closed.push(o);
      return { ok: true, response: {}, raw };
    },
  };
  const run = (opts: { maxOrders?: number; dryRun?: boolean } = {}) => reconcile(deps, { deadline: new Deadline(60_000), maxOrders: opts.maxOrders ?? 100, ...(opts.dryRun ? { dryRun: true } : {}) });
  return { store, deps, queried, closed, run };
}

const hoursAgo = (h: number) => new Date(Date.parse(NOW) - h * HOUR).toISOString();

describe('reconcile', () => {
  test('an order whose notifications were lost is paid from single_trade_query, recorded with source query', async () => {
    const { store, run } = setup((o) => paidTrade(o));
    store.orders.set('T1', anOrder('T1', hoursAgo(2)));
    const summary = await run();
    assert.deepEqual({ checked: summary.checked, advanced: summary.advanced, errors: summary.errors }, { checked: 1, advanced: 1, errors: 0 });
    const order = store.orders.get('T1')!;
    assert.equal(order.status, 'TRADE_SUCCESS');
    assert.equal(order.paidFen, 1000);
    const [record] = store.records.values();
    assert.equal(record!.source, 'query');
    assert.match(record!.eventId, /^query#\d+#TRADE_SUCCESS$/);
    // The same answer on the next run is the same event: nothing new.
    store.orders.set('T1', { ...order, status: 'CREATED' }); // (as if still pending in the index)
    assert.equal((await run()).advanced, 0);
  });

  test('young orders are left to their notifications; paid and closed ones are not looked at', async () => {
    const { store, queried, run } = setup((o) => paidTrade(o));
    store.orders.set('young', anOrder('young', hoursAgo(0.1)));
    store.orders.set('paid', anOrder('paid', hoursAgo(5), { status: 'TRADE_SUCCESS' }));
    store.orders.set('closed', anOrder('closed', hoursAgo(5), { status: 'TRADE_CLOSED' }));
    store.orders.set('old', anOrder('old', hoursAgo(5), { status: 'WAIT_BUYER_PAY' }));
    await run();
    assert.deepEqual(queried, ['old']);
  });

  test('TRADE_NOT_EXIST before the deadline: unchanged; after it: closed, and a later payment is an anomaly, not stale news', async () => {
    const { store, closed, deps, run } = setup(() => notExist);
    store.orders.set('fresh', anOrder('fresh', hoursAgo(3)));
    store.orders.set('stale', anOrder('stale', hoursAgo(50)));
    store.orders.set('short', anOrder('short', hoursAgo(1), { gatewayParams: { it_b_pay: '30m' } }));
    const summary = await run();
    assert.deepEqual(Object.fromEntries(summary.orders.map((o) => [o.outTradeNo, o.outcome])), { stale: 'closed', short: 'closed', fresh: 'unchanged' });
    assert.deepEqual(closed.sort(), ['short', 'stale']);
    assert.equal(store.orders.get('stale')!.status, 'TRADE_CLOSED');
    assert.equal(store.orders.get('fresh')!.status, 'CREATED');

    const late = decide(store.orders.get('stale'), {
      eventId: 'n-late', source: 'notify', receivedAt: NOW, outTradeNo: 'stale', tradeStatus: 'TRADE_SUCCESS', totalFen: 1000 as Fen, useCoupon: false,
    }, { partner: deps.partner });
    assert.ok(late.outcome === 'anomaly');
    assert.deepEqual(late.anomalies.map((a) => a.code), ['paid_after_close']);
  });

  test('a trade waiting for payment past its deadline is closed with close_trade', async () => {
    const { store, closed, run } = setup((o) => paidTrade(o, 'WAIT_BUYER_PAY'));
    store.orders.set('T9', anOrder('T9', hoursAgo(60)));
    const summary = await run();
    assert.equal(summary.closed, 1);
    assert.deepEqual(closed, ['T9']);
    assert.deepEqual(store.orders.get('T9')!.history.map((h) => [h.source, h.status]), [['query', 'WAIT_BUYER_PAY'], ['close', 'TRADE_CLOSED']]);
  });

  test('a query that fails is an error for that order; the others go on', async () => {
    const { store, run } = setup((o) => {
      if (o === 'bad') throw Object.assign(new Error('timeout'), { transient: true });
      return paidTrade(o);
    });
    store.orders.set('bad', anOrder('bad', hoursAgo(3)));
    store.orders.set('good', anOrder('good', hoursAgo(2)));
    const summary = await run();
    assert.deepEqual([summary.errors, summary.advanced], [1, 1]);
    assert.equal(store.orders.get('bad')!.status, 'CREATED');
  });

  test('bounded work per run, resumable: the next run continues where the last stopped, then starts over', async () => {
    const { store, queried, run } = setup(() => notExist);
    for (let i = 0; i < 60; i++) store.orders.set(`T${String(i).padStart(2, '0')}`, anOrder(`T${String(i).padStart(2, '0')}`, hoursAgo(10 - i / 100)));
    const first = await run({ maxOrders: 25 });
    assert.equal(first.checked, 25);
    assert.ok(first.next);
    const second = await run({ maxOrders: 25 });
    assert.equal(second.checked, 25);
    const third = await run({ maxOrders: 25 });
    assert.equal(third.checked, 10);
    assert.equal(third.next, undefined);
    assert.equal(new Set(queried).size, 60, 'every pending order looked at once across the three runs');
    assert.equal((await run({ maxOrders: 25 })).orders[0]!.outTradeNo, 'T00', 'then from the oldest again');
  });

  test('a dry run reports what would happen and writes and closes nothing', async () => {
    const { store, closed, run } = setup((o) => (o === 'paid' ? paidTrade(o) : notExist));
    store.orders.set('paid', anOrder('paid', hoursAgo(3)));
    store.orders.set('old', anOrder('old', hoursAgo(60)));
    const summary = await run({ dryRun: true });
    assert.deepEqual(Object.fromEntries(summary.orders.map((o) => [o.outTradeNo, o.outcome])), { old: 'closed', paid: 'advanced' });
    assert.equal(store.records.size, 0);
    assert.deepEqual(closed, []);
    assert.equal(store.orders.get('paid')!.status, 'CREATED');
  });
});
