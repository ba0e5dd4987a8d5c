import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { processTradeEvent, type ProcessDeps } from '../../shared/payments/process-event.ts';
import type { Order, TradeEvent } from '../../shared/orders/order.ts';
import { applyChange } from '../../shared/orders/decide.ts';
import type { Fen } from '../../shared/alipay/amount.ts';
import { type CommitInput, type NotificationRecord, type PaymentStore, StoreUnavailableError } from '../../shared/payments/store-port.ts';

const PARTNER = '2088101568358171';

/** An in-memory store with the port's semantics, and a switch to fail commits the way DynamoDB does under contention. */
class MemoryStore implements PaymentStore {
  orders = new Map<string, Order>();
  notifications = new Map<string, NotificationRecord>();
  rejected: NotificationRecord[] = [];
  failNextCommits = 0;
  async createOrder(order: Order) {
    const existing = this.orders.get(order.outTradeNo);
    if (existing) return { created: false as const, existing };
    this.orders.set(order.outTradeNo, order);
    return { created: true as const };
  }
  async getOrder(id: string) {
    return this.orders.get(id);
  }
  async readForEvent(id: string, notifyId: string | undefined) {
    const order = this.orders.get(id);
    const notification = notifyId === undefined ? undefined : this.notifications.get(notifyId);
    return { ...(order ? { order } : {}), ...(notification ? { notification } : {}) };
  }
  async commitEvent(input: CommitInput) {
    if (this.failNextCommits > 0) {
      this.failNextCommits--;
      throw new StoreUnavailableError('TransactionConflict');
    }
    if (this.notifications.has(input.record.notifyId)) return 'notification_exists' as const;
    if (input.order && this.orders.get(input.order.outTradeNo)?.version !== input.order.version) return 'order_changed' as const;
    this.notifications.set(input.record.notifyId, input.record);
    if (input.order && input.change) this.orders.set(input.order.outTradeNo, applyChange(input.order, input.change, 20));
    return 'committed' as const;
  }
  async recordRejected(record: NotificationRecord) {
    this.rejected.push(record);
  }
}

function setup(answer: 'true' | 'false' | 'invalid' = 'true') {
  const store = new MemoryStore();
  store.orders.set('T-1', {
    outTradeNo: 'T-1', service: 'create_direct_pay_by_user', kind: 'instant', subject: 's', amountFen: 1000 as Fen,
    acceptedAmountsFen: [1000 as Fen], partner: PARTNER, sellerId: PARTNER, charset: 'utf-8', status: 'CREATED', version: 1,
    history: [], anomalies: [], createdAt: 't', updatedAt: 't', gatewayParams: {},
  });
  const calls: string[] = [];
  const deps: ProcessDeps = {
    store, partner: PARTNER, retentionDays: 1,
    notifyVerify: async (id) => {
      calls.push(id);
      return answer;
    },
  };
  const event: TradeEvent & { notifyId: string } = {
    source: 'notify', notifyId: 'n1', receivedAt: '2026-11-24T01:00:00.000Z', outTradeNo: 'T-1', tradeStatus: 'TRADE_SUCCESS',
    totalFen: 1000 as Fen, useCoupon: false, sellerId: PARTNER,
  };
  return { store, deps, event, calls };
}

describe('processTradeEvent', () => {
  test('applies a verified notification once and asks Alipay once', async () => {
    const { store, deps, event, calls } = setup();
    assert.equal((await processTradeEvent(deps, event, Buffer.from('raw'), { verifyWithAlipay: true })).outcome, 'applied');
    assert.equal(store.orders.get('T-1')?.status, 'TRADE_SUCCESS');
    assert.equal((await processTradeEvent(deps, event, Buffer.from('raw'), { verifyWithAlipay: true })).outcome, 'duplicate');
    assert.deepEqual(calls, ['n1']);
  });

  test('retries a transient commit failure (TransactionConflict) and then applies', async () => {
    const { store, deps, event, calls } = setup();
    store.failNextCommits = 2;
    assert.equal((await processTradeEvent(deps, event, Buffer.from('raw'), { verifyWithAlipay: true })).outcome, 'applied');
    assert.equal(store.orders.get('T-1')?.version, 2);
    assert.deepEqual(calls, ['n1'], 'notify_verify is not asked again on a retry');
  });

  test('gives up after bounded retries so the handler can answer fail', async () => {
    const { store, deps, event } = setup();
    store.failNextCommits = 100;
    await assert.rejects(processTradeEvent({ ...deps, maxAttempts: 3 }, event, Buffer.from('raw'), { verifyWithAlipay: true }), StoreUnavailableError);
    assert.equal(store.orders.get('T-1')?.status, 'CREATED');
    assert.equal(store.notifications.size, 0);
  });

  test('notify_verify false: kept as rejected, the notify_id stays free, the order unchanged', async () => {
    const { store, deps, event } = setup('false');
    const result = await processTradeEvent(deps, event, Buffer.from('raw'), { verifyWithAlipay: true });
    assert.deepEqual(result, { outcome: 'rejected', reason: 'notify_verify_false' });
    assert.equal(store.rejected[0]?.outcome, 'rejected:notify_verify_false');
    assert.equal(store.notifications.size, 0);
    assert.equal(store.orders.get('T-1')?.status, 'CREATED');
  });

  test('a transient notify_verify error propagates before anything is written', async () => {
    const { store, deps, event } = setup();
    deps.notifyVerify = async () => {
      throw Object.assign(new Error('timeout'), { transient: true });
    };
    await assert.rejects(processTradeEvent(deps, event, Buffer.from('raw'), { verifyWithAlipay: true }), /timeout/);
    assert.equal(store.notifications.size, 0);
    assert.equal(store.rejected.length, 0);
  });
});
