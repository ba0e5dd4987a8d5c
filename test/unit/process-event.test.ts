import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { processTradeEvent, type ProcessDeps } from '../../shared/payments/process-event.ts';
import type { Order, TradeEvent } from '../../shared/orders/order.ts';
import type { Fen } from '../../shared/alipay/amount.ts';
import { Deadline, DeadlineExceededError } from '../../shared/deadline.ts';
import { StoreUnavailableError } from '../../shared/payments/store-port.ts';
import { MemoryStore } from '../support/memory-store.ts';

const PARTNER = '2088101568358171';

const anOrder = (outTradeNo: string, over: Partial<Order> = {}): Order => ({
  outTradeNo, service: 'create_direct_pay_by_user', kind: 'instant', subject: 's', amountFen: 1000 as Fen,
  acceptedAmountsFen: [1000 as Fen], partner: PARTNER, sellerId: PARTNER, charset: 'utf-8', status: 'CREATED', version: 1,
  history: [], anomalies: [], createdAt: 't', updatedAt: 't', gatewayParams: {}, ...over,
});

function setup(answer: 'true' | 'false' | 'invalid' = 'true') {
  const store = new MemoryStore();
  store.orders.set('T-1', anOrder('T-1'));
  const calls: string[] = [];
  const deps: ProcessDeps = {
    store, partner: PARTNER, retentionDays: 1,
    notifyVerify: async (id) => {
      calls.push(id);
      return answer;
    },
  };
  const event: TradeEvent = {
    source: 'notify', eventId: 'n1', receivedAt: '2026-11-24T01:00:00.000Z', outTradeNo: 'T-1', tradeStatus: 'TRADE_SUCCESS',
    totalFen: 1000 as Fen, useCoupon: false, sellerId: PARTNER,
  };
  const opts = { confirmNotifyId: 'n1', deadline: new Deadline(30_000) };
  return { store, deps, event, calls, opts };
}

describe('processTradeEvent', () => {
  test('applies a verified notification once and asks Alipay once', async () => {
    const { store, deps, event, calls, opts } = setup();
    assert.equal((await processTradeEvent(deps, event, Buffer.from('raw'), opts)).outcome, 'applied');
    assert.equal(store.orders.get('T-1')?.status, 'TRADE_SUCCESS');
    assert.equal((await processTradeEvent(deps, event, Buffer.from('raw'), opts)).outcome, 'duplicate');
    assert.deepEqual(calls, ['n1']);
  });

  test('retries a transient commit failure (TransactionConflict) and then applies', async () => {
    const { store, deps, event, calls, opts } = setup();
    store.failNextCommits = 2;
    assert.equal((await processTradeEvent(deps, event, Buffer.from('raw'), opts)).outcome, 'applied');
    assert.equal(store.orders.get('T-1')?.version, 2);
    assert.deepEqual(calls, ['n1'], 'notify_verify is not asked again on a retry');
  });

  test('gives up after bounded retries so the handler can answer fail', async () => {
    const { store, deps, event, opts } = setup();
    store.failNextCommits = 100;
    await assert.rejects(processTradeEvent({ ...deps, maxAttempts: 3 }, event, Buffer.from('raw'), opts), StoreUnavailableError);
    assert.equal(store.orders.get('T-1')?.status, 'CREATED');
    assert.equal(store.records.size, 0);
  });

  test('a deadline that has passed stops before anything is read, asked or written', async () => {
    const { store, deps, event, calls } = setup();
    const deadline = new Deadline(1);
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(processTradeEvent(deps, event, Buffer.from('raw'), { confirmNotifyId: 'n1', deadline }), DeadlineExceededError);
    assert.deepEqual(calls, []);
    assert.equal(store.records.size, 0);
  });

  test('notify_verify false: kept as rejected, the event id stays free, the order unchanged', async () => {
    const { store, deps, event, opts } = setup('false');
    const result = await processTradeEvent(deps, event, Buffer.from('raw'), opts);
    assert.deepEqual(result, { outcome: 'rejected', reason: 'notify_verify_false' });
    assert.equal(store.rejected[0]?.outcome, 'rejected:notify_verify_false');
    assert.equal(store.records.size, 0);
    assert.equal(store.orders.get('T-1')?.status, 'CREATED');
  });

  test('D9: notify_verify false because a concurrent copy was applied and answered meanwhile: a duplicate, not a rejection', async () => {
    const { store, deps, event, opts } = setup();
    // This copy read the table before the other copy committed; Alipay then says `false` (the id was answered `success`).
    deps.notifyVerify = async () => {
      store.records.set('n1', { eventId: 'n1', source: 'notify', outTradeNo: 'T-1', receivedAt: 't', outcome: 'applied', raw: Buffer.from('raw'), expiresAt: 1 });
      return 'false';
    };
    const result = await processTradeEvent(deps, event, Buffer.from('raw'), opts);
    assert.equal(result.outcome, 'duplicate');
    assert.deepEqual(store.rejected, []);
  });

  test('a transient notify_verify error propagates before anything is written', async () => {
    const { store, deps, event, opts } = setup();
    deps.notifyVerify = async () => {
      throw Object.assign(new Error('timeout'), { transient: true });
    };
    await assert.rejects(processTradeEvent(deps, event, Buffer.from('raw'), opts), /timeout/);
    assert.equal(store.records.size, 0);
    assert.equal(store.rejected.length, 0);
  });

  test('D13: an event id already recorded for another order is an anomaly on this one, noted once, without asking Alipay', async () => {
    const { store, deps, event, calls, opts } = setup();
    store.orders.set('T-2', anOrder('T-2'));
    assert.equal((await processTradeEvent(deps, event, Buffer.from('a'), opts)).outcome, 'applied');
    const reused = { ...event, outTradeNo: 'T-2' };
    const first = await processTradeEvent(deps, reused, Buffer.from('b'), opts);
    assert.equal(first.outcome, 'anomaly');
    assert.deepEqual(store.orders.get('T-2')?.anomalies.map((a) => a.code), ['notify_id_reused']);
    assert.equal(store.orders.get('T-2')?.status, 'CREATED');
    assert.equal((await processTradeEvent(deps, reused, Buffer.from('b'), opts)).outcome, 'duplicate');
    assert.equal(store.orders.get('T-2')?.anomalies.length, 1);
    assert.deepEqual(calls, ['n1'], 'only the first, genuine use was confirmed');
  });

  test('D8: a message that may be a re-split of a genuine one never claims the genuine event id', async () => {
    const { store, deps, event, opts } = setup();
    store.orders.set('T-1', anOrder('T-1', { gatewayParams: { subject: 'Tea&trade_status=TRADE_FINISHED&zz=' } }));
    const forged = { ...event, tradeStatus: 'TRADE_FINISHED', fields: { subject: 'Tea', trade_status: 'TRADE_FINISHED', zz: '&trade_status=TRADE_SUCCESS' } };
    assert.equal((await processTradeEvent(deps, forged, Buffer.from('forged'), opts)).outcome, 'anomaly');
    assert.equal(store.orders.get('T-1')?.status, 'CREATED');
    assert.equal(store.records.has('n1'), false, 'the genuine message can still be applied under n1');
    const genuine = { ...event, fields: { subject: 'Tea&trade_status=TRADE_FINISHED&zz=', trade_status: 'TRADE_SUCCESS' } };
    assert.equal((await processTradeEvent(deps, genuine, Buffer.from('genuine'), opts)).outcome, 'applied');
    assert.equal(store.orders.get('T-1')?.status, 'TRADE_SUCCESS');
  });

  test('a query answer (no notify_id to confirm) goes through the same decision without asking Alipay', async () => {
    const { store, deps, event, calls } = setup();
    const query: TradeEvent = { ...event, source: 'query', eventId: 'query#2026#TRADE_SUCCESS' };
    const result = await processTradeEvent(deps, query, Buffer.from('<alipay/>'), { deadline: new Deadline(30_000) });
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(calls, []);
    assert.equal(store.records.get('query#2026#TRADE_SUCCESS')?.source, 'query');
  });
});
