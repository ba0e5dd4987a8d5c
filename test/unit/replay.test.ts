// Replaying a stored message through today's code: the signature with the key, the event, the decision on the
// current order; a dry run writes nothing, --apply writes through the pipeline under a replay id.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Fen } from '../../shared/alipay/amount.ts';
import { Deadline } from '../../shared/deadline.ts';
import type { Order } from '../../shared/orders/order.ts';
import { replayRecord, type ReplayDeps } from '../../shared/payments/replay.ts';
import type { EventRecord } from '../../shared/payments/store-port.ts';
import { notification, TEST_KEY, TEST_PARTNER, tradeNoFor } from '../support/alipay-messages.ts';
import { MemoryStore } from '../support/memory-store.ts';

const NOW = '2026-11-24T02:00:00.000Z';

const anOrder = (outTradeNo: string, over: Partial<Order> = {}): Order => ({
  outTradeNo, service: 'create_direct_pay_by_user', kind: 'instant', subject: '测试商品·中文标题', amountFen: 1000 as Fen,
  acceptedAmountsFen: [1000 as Fen], partner: TEST_PARTNER, sellerId: TEST_PARTNER, charset: 'utf-8', status: 'CREATED', version: 1,
  history: [], anomalies: [], createdAt: '2026-11-24T00:00:00.000Z', updatedAt: '2026-11-24T00:00:00.000Z', gatewayParams: {}, ...over,
});

/** A store holding order T-1 and, under `eventId`, the record of a signed TRADE_SUCCESS notification for it. */
function setup(opts: { eventId?: string; outcome?: EventRecord['outcome']; charset?: 'utf-8' | 'gbk'; key?: string } = {}) {
  const store = new MemoryStore();
  store.orders.set('T-1', anOrder('T-1'));
  const message = notification({ outTradeNo: 'T-1', tradeStatus: 'TRADE_SUCCESS', totalFee: '10.00' }, { charset: opts.charset ?? 'utf-8', key: opts.key ?? TEST_KEY });
  const eventId = opts.eventId ?? message.notifyId;
  const record: EventRecord = {
    eventId, notifyId: message.notifyId, source: 'notify', outTradeNo: 'T-1', tradeStatus: 'TRADE_SUCCESS', receivedAt: '2026-11-24T01:00:00.000Z',
    outcome: opts.outcome ?? 'rejected:notify_verify_false', raw: message.bytes, expiresAt: 1_900_000_000,
  };
  store.records.set(eventId, record);
  const deps: ReplayDeps = { store, partner: TEST_PARTNER, retentionDays: 1, key: TEST_KEY, charset: 'utf-8', now: () => NOW };
  return { store, deps, record, message };
}

const dryRun = { apply: false, deadline: new Deadline(30_000) };
const apply = { apply: true, deadline: new Deadline(30_000) };

describe('replayRecord', () => {
  test('dry run: a disowned notification would pay the order today; nothing is written', async () => {
    const { store, deps, record } = setup({ eventId: 'rejected#n1#2026-11-24T01:00:00.000Z#abc' });
    const replay = await replayRecord(deps, record.eventId, dryRun);
    assert.equal(replay.kind, 'replayed');
    assert.ok(replay.kind === 'replayed');
    assert.equal(replay.how, 'signature valid (MD5 over the utf-8 bytes)');
    assert.equal(replay.applied, false);
    const [one] = replay.events;
    assert.equal(one!.event.eventId, `replay#${record.eventId}#${NOW}`);
    assert.equal(one!.before?.status, 'CREATED');
    assert.equal(one!.decision?.outcome, 'applied');
    assert.ok(one!.decision?.outcome === 'applied' && one!.decision.next.status === 'TRADE_SUCCESS');
    assert.equal(store.orders.get('T-1')!.status, 'CREATED');
    assert.deepEqual([...store.records.keys()], [record.eventId]);
  });

  test('--apply: the decided order is written over the version read, under a replay record; the history points at it', async () => {
    const { store, deps, record, message } = setup();
    const replay = await replayRecord(deps, record.eventId, apply);
    assert.ok(replay.kind === 'replayed');
    const replayId = `replay#${message.notifyId}#${NOW}`;
    assert.equal(replay.events[0]!.result?.outcome, 'applied');
    const order = store.orders.get('T-1')!;
    assert.equal(order.status, 'TRADE_SUCCESS');
    assert.equal(order.version, 2);
    assert.equal(order.tradeNo, tradeNoFor('T-1'));
    assert.deepEqual(order.history.map((h) => [h.eventId, h.source, h.status]), [[replayId, 'notify', 'TRADE_SUCCESS']]);
    const written = store.records.get(replayId)!;
    assert.equal(written.outcome, 'applied');
    assert.ok(written.raw.equals(record.raw), 'the replay record keeps the same bytes');
  });

  test('--apply on an order that already says it: recorded as a duplicate, the order unchanged', async () => {
    const { store, deps, record } = setup({ outcome: 'applied' });
    await replayRecord(deps, record.eventId, apply);
    const paid = store.orders.get('T-1')!;
    const again = await replayRecord({ ...deps, now: () => '2026-11-24T03:00:00.000Z' }, record.eventId, apply);
    assert.ok(again.kind === 'replayed');
    assert.equal(again.events[0]!.result?.outcome, 'duplicate');
    assert.deepEqual(store.orders.get('T-1'), paid);
    assert.equal(store.records.get(`replay#${record.eventId}#2026-11-24T03:00:00.000Z`)?.outcome, 'duplicate');
  });

  test('a GBK message verifies over its GBK bytes', async () => {
    const { deps, record } = setup({ charset: 'gbk' });
    const replay = await replayRecord(deps, record.eventId, dryRun);
    assert.ok(replay.kind === 'replayed');
    assert.equal(replay.how, 'signature valid (MD5 over the gbk bytes)');
  });

  test('bytes signed with another key are unreadable: nothing decided, nothing written', async () => {
    const { store, deps, record } = setup({ key: 'otherkeyotherkeyotherkeyotherkey' });
    const replay = await replayRecord(deps, record.eventId, apply);
    assert.equal(replay.kind, 'unreadable');
    assert.ok(replay.kind === 'unreadable');
    assert.match(replay.problem, /^the signature does not verify with this key \(mismatch/);
    assert.equal(store.orders.get('T-1')!.version, 1);
    assert.equal(store.records.size, 1);
  });

  test('an unknown event id is not_found; a record of our own command has nothing to replay', async () => {
    const { store, deps } = setup();
    assert.deepEqual(await replayRecord(deps, 'no-such-event', dryRun), { kind: 'not_found', eventId: 'no-such-event' });
    store.records.set('close#T-1', {
      eventId: 'close#T-1', source: 'close', outTradeNo: 'T-1', receivedAt: NOW, outcome: 'applied', raw: Buffer.from('<alipay/>'), expiresAt: 1,
    });
    const replay = await replayRecord(deps, 'close#T-1', dryRun);
    assert.ok(replay.kind === 'unreadable');
    assert.match(replay.problem, /a close record holds Alipay's answer to a command of ours/);
  });

  test('a single_trade_query answer is read again from its XML', async () => {
    const { store, deps } = setup();
    const tradeNo = tradeNoFor('T-1');
    const xml = `<?xml version="1.0" encoding="utf-8"?><alipay><is_success>T</is_success><response><trade><out_trade_no>T-1</out_trade_no>` +
      `<trade_no>${tradeNo}</trade_no><trade_status>TRADE_SUCCESS</trade_status><total_fee>10.00</total_fee><seller_id>${TEST_PARTNER}</seller_id></trade></response></alipay>`;
    const eventId = `query#${tradeNo}#TRADE_SUCCESS`;
    store.records.set(eventId, { eventId, source: 'query', outTradeNo: 'T-1', receivedAt: NOW, outcome: 'anomaly', raw: Buffer.from(xml), expiresAt: 1 });
    const replay = await replayRecord(deps, eventId, dryRun);
    assert.ok(replay.kind === 'replayed', JSON.stringify(replay));
    assert.match(replay.how, /single_trade_query answer/);
    assert.equal(replay.events[0]!.decision?.outcome, 'applied');
  });
});
