// The DynamoDB PaymentStore against DynamoDB Local: conditional writes, one-transaction commits, the sparse index, raw bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { fen } from '../../shared/alipay/amount.ts';
import { decide } from '../../shared/orders/decide.ts';
import { ANOMALY_LIMIT, HISTORY_LIMIT, type Anomaly, type Order, type TradeEvent } from '../../shared/orders/order.ts';
import type { EventRecord, OrderWrite } from '../../shared/payments/store-port.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { AWAITING_PAYMENT_INDEX, ensureTables, ordersTableDefinition, type TableNames } from '../../shared/store/tables.ts';
import { testDynamoClient, uniqueTableName } from '../support/dynamodb.ts';

const PARTNER = '2088101122136241';
const client = testDynamoClient();
const doc = DynamoDBDocumentClient.from(client);
const created: string[] = [];

after(async () => {
  await Promise.all(created.map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  client.destroy();
});

/** Fresh tables for one test, and a store on them. */
async function freshStore(): Promise<{ store: DynamoDbPaymentStore; tables: TableNames }> {
  const tables = { orders: uniqueTableName('orders'), notifications: uniqueTableName('notifications') };
  created.push(tables.orders, tables.notifications);
  await ensureTables(client, tables);
  return { store: new DynamoDbPaymentStore(client, tables), tables };
}

function anOrder(overrides: Partial<Order> = {}): Order {
  const outTradeNo = overrides.outTradeNo ?? `T${randomBytes(6).toString('hex')}`;
  return {
    outTradeNo,
    service: 'create_direct_pay_by_user',
    kind: 'instant',
    subject: '测试商品',
    amountFen: fen(1000),
    acceptedAmountsFen: [fen(1000)],
    partner: PARTNER,
    charset: 'utf-8',
    status: 'CREATED',
    version: 0,
    history: [],
    anomalies: [],
    createdAt: '2024-05-01T08:00:00.000Z',
    updatedAt: '2024-05-01T08:00:00.000Z',
    gatewayParams: { service: 'create_direct_pay_by_user', out_trade_no: outTradeNo, total_fee: '10.00', sign: 'f00d', sign_type: 'MD5' },
    ...overrides,
  };
}

function aRecord(eventId: string, overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    eventId,
    notifyId: eventId,
    source: 'notify',
    receivedAt: '2024-05-01T08:05:00.000Z',
    outcome: 'applied',
    raw: Buffer.from(`notify_id=${eventId}&trade_status=TRADE_SUCCESS`),
    expiresAt: 1_800_000_000,
    ...overrides,
  };
}

function paidEvent(order: Order, eventId: string): TradeEvent {
  return {
    source: 'notify', eventId, receivedAt: '2024-05-01T08:05:00.000Z', outTradeNo: order.outTradeNo,
    tradeNo: '2024050122001400000000000001', tradeStatus: 'TRADE_SUCCESS', totalFen: fen(1000), useCoupon: false,
  };
}

/** The next order the domain decides for "Alipay says this order is paid". */
function paid(order: Order, eventId: string): OrderWrite {
  const decision = decide(order, paidEvent(order, eventId), { partner: PARTNER });
  assert.ok(decision.outcome === 'applied');
  return { order: decision.next, awaitingPayment: false };
}

/** The order with anomalies recorded on it, as the domain would write it. */
function withAnomalies(order: Order, anomalies: Anomaly[]): OrderWrite {
  const next = { ...order, version: order.version + 1, anomalies: [...order.anomalies, ...anomalies].slice(-ANOMALY_LIMIT) };
  return { order: next, awaitingPayment: true };
}

const anomaly = (i: number): Anomaly => ({ at: `2024-05-01T09:${String(i).padStart(2, '0')}:00.000Z`, code: 'amount_mismatch', detail: `total_fee ${i}.00`, eventId: `n-${i}` });

async function awaitingPayment(tables: TableNames): Promise<string[]> {
  const out = await doc.send(new QueryCommand({
    TableName: tables.orders,
    IndexName: AWAITING_PAYMENT_INDEX,
    KeyConditionExpression: 'awaitingPayment = :y',
    ExpressionAttributeValues: { ':y': 'Y' },
  }));
  return (out.Items ?? []).map((i) => String(i.outTradeNo)).sort();
}

describe('DynamoDbPaymentStore', () => {
  test('ensureTables can run again on existing tables; Notifications expire by expiresAt', async () => {
    const { tables } = await freshStore();
    await ensureTables(client, tables);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tables.notifications }));
    assert.deepEqual(ttl.TimeToLiveDescription, { AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.orders }));
    assert.equal(Table?.TableStatus, 'ACTIVE');
    assert.deepEqual(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort(), ordersTableDefinition('x').GlobalSecondaryIndexes!.map((i) => i.IndexName).sort());
  });

  test('createOrder twice: the second call returns the stored order, in one round trip, and changes nothing', async () => {
    const { tables } = await freshStore();
    const counted = testDynamoClient();
    const sent: string[] = [];
    counted.middlewareStack.add((next, context) => (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    }, { step: 'initialize' });
    const store = new DynamoDbPaymentStore(counted, tables);
    try {
      const order = anOrder();
      assert.deepEqual(await store.createOrder(order), { created: true });
      const retry = await store.createOrder({ ...order, subject: 'another subject', updatedAt: '2024-05-02T00:00:00.000Z' });
      assert.deepEqual(retry, { created: false, existing: order });
      assert.deepEqual(sent, ['PutItemCommand', 'PutItemCommand']); // the existing order came with the failed condition
      assert.deepEqual(await store.getOrder(order.outTradeNo), order);
    } finally {
      counted.destroy();
    }
  });

  test('an order with every optional field comes back equal, without storage-only attributes', async () => {
    const { store } = await freshStore();
    const order = anOrder({
      service: 'trade_create_by_buyer',
      kind: 'escrow',
      charset: 'gbk',
      amountFen: fen(2500),
      acceptedAmountsFen: [fen(2500), fen(3000)],
      paidFen: fen(2500),
      sellerId: '2088101122136241',
      sellerEmail: 'seller@example.com',
      status: 'WAIT_BUYER_PAY',
      tradeNo: '2024050122001400000000000002',
      refund: { status: 'WAIT_SELLER_AGREE', at: '2024-05-03 10:00:00' },
      version: 7,
      history: [
        { at: '2024-05-01T08:01:00.000Z', source: 'notify', eventId: 'n-1', status: 'WAIT_BUYER_PAY' },
        { at: '2024-05-01T08:02:00.000Z', source: 'return', eventId: 'n-2', status: 'WAIT_BUYER_PAY', refundStatus: 'WAIT_SELLER_AGREE' },
      ],
      anomalies: [anomaly(1), { at: '2024-05-01T08:03:00.000Z', code: 'seller_mismatch', detail: 'seller_id 1 differs' }],
      gatewayParams: {},
    });
    await store.createOrder(order);
    assert.deepEqual(await store.getOrder(order.outTradeNo), order);
    assert.equal(await store.getOrder('no-such-order'), undefined);
  });

  test('readForEvent returns the order and the event record together, and nothing for what is absent', async () => {
    const { store } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    const record = aRecord('n-read', { outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', detail: 'first' });
    assert.equal(await store.commitEvent({ record }), 'committed');

    assert.deepEqual(await store.readForEvent(order.outTradeNo, 'n-read'), { order, record });
    assert.deepEqual(await store.readForEvent(order.outTradeNo, 'n-other'), { order });
    assert.deepEqual(await store.readForEvent(undefined, 'n-read'), { record });
    assert.deepEqual(await store.readForEvent('no-such-order', 'n-read'), { record });
    assert.deepEqual(await store.readForEvent('no-such-order', 'n-other'), {});
  });

  test('commitEvent writes the next order over the version read and takes a paid order out of the awaiting-payment index', async () => {
    const { store, tables } = await freshStore();
    const order = anOrder();
    const other = anOrder();
    await store.createOrder(order);
    await store.createOrder(other);
    assert.deepEqual(await awaitingPayment(tables), [order.outTradeNo, other.outTradeNo].sort());

    const next = paid(order, 'n-paid');
    assert.equal(await store.commitEvent({ record: aRecord('n-paid'), expectedVersion: order.version, next }), 'committed');

    const stored = await store.getOrder(order.outTradeNo);
    assert.deepEqual(stored, next.order);
    assert.equal(stored?.status, 'TRADE_SUCCESS');
    assert.equal(stored?.version, 1);
    assert.equal(stored?.paidFen, 1000);
    assert.deepEqual(await awaitingPayment(tables), [other.outTradeNo]);
    const item = await doc.send(new GetCommand({ TableName: tables.orders, Key: { outTradeNo: order.outTradeNo }, ConsistentRead: true }));
    assert.equal(item.Item?.awaitingPayment, undefined);
  });

  test('an order that stays WAIT_BUYER_PAY stays in the awaiting-payment index', async () => {
    const { store, tables } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    const event: TradeEvent = { ...paidEvent(order, 'n-wait'), tradeStatus: 'WAIT_BUYER_PAY', totalFen: fen(1000) };
    const decision = decide(order, event, { partner: PARTNER });
    assert.ok(decision.outcome === 'applied');
    const next = { order: decision.next, awaitingPayment: true };
    assert.equal(await store.commitEvent({ record: aRecord('n-wait'), expectedVersion: order.version, next }), 'committed');
    assert.equal((await store.getOrder(order.outTradeNo))?.status, 'WAIT_BUYER_PAY');
    assert.deepEqual(await awaitingPayment(tables), [order.outTradeNo]);
  });

  test('a stale version gives order_changed and writes nothing, not even the notification', async () => {
    const { store } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    assert.equal(await store.commitEvent({ record: aRecord('n-first'), expectedVersion: order.version, next: paid(order, 'n-first') }), 'committed');
    const after1 = await store.getOrder(order.outTradeNo);

    // Decided on the old read (version 0) while the order is at version 1.
    const result = await store.commitEvent({ record: aRecord('n-second'), expectedVersion: order.version, next: withAnomalies(order, [anomaly(1)]) });
    assert.equal(result, 'order_changed');
    assert.deepEqual(await store.getOrder(order.outTradeNo), after1);
    assert.deepEqual(await store.readForEvent(order.outTradeNo, 'n-second'), { order: after1 });
  });

  test('the same event id twice gives event_exists', async () => {
    const { store } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    assert.equal(await store.commitEvent({ record: aRecord('n-dup'), expectedVersion: order.version, next: paid(order, 'n-dup') }), 'committed');
    const current = (await store.getOrder(order.outTradeNo))!;
    // Even with a fresh version, the recorded event id wins.
    assert.equal(await store.commitEvent({ record: aRecord('n-dup'), expectedVersion: current.version, next: withAnomalies(current, [anomaly(2)]) }), 'event_exists');
    assert.deepEqual(await store.getOrder(order.outTradeNo), current);
    // And with a stale version as well (both conditions fail): still event_exists.
    assert.equal(await store.commitEvent({ record: aRecord('n-dup'), expectedVersion: order.version, next: paid(order, 'n-dup') }), 'event_exists');
  });

  test('20 concurrent deliveries of one notification commit exactly once', async () => {
    const { store } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    const next = paid(order, 'n-race');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.commitEvent({ record: aRecord('n-race'), expectedVersion: order.version, next })),
    );
    assert.equal(results.filter((r) => r === 'committed').length, 1, `results: ${results.join(', ')}`);
    for (const r of results) assert.ok(['committed', 'event_exists', 'order_changed'].includes(r), r);
    assert.deepEqual(await store.getOrder(order.outTradeNo), next.order);
  });

  test('20 concurrent different notifications on one read version: one wins, the rest must read again', async () => {
    const { store } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.commitEvent({ record: aRecord(`n-${i}`), expectedVersion: order.version, next: withAnomalies(order, [anomaly(i)]) })),
    );
    assert.equal(results.filter((r) => r === 'committed').length, 1, `results: ${results.join(', ')}`);
    assert.equal(results.filter((r) => r === 'order_changed').length, 19);
    const stored = await store.getOrder(order.outTradeNo);
    assert.equal(stored?.version, 1);
    assert.equal(stored?.anomalies.length, 1);
  });

  test('the order is written as given: anomalies appended, lists kept as the domain bounded them', async () => {
    const { store } = await freshStore();
    let order = anOrder({ status: 'WAIT_BUYER_PAY' });
    await store.createOrder(order);
    const all: Anomaly[] = [];
    for (let i = 0; i < ANOMALY_LIMIT + 5; i += 2) {
      const batch = [anomaly(i), anomaly(i + 1)];
      all.push(...batch);
      assert.equal(await store.commitEvent({ record: aRecord(`n-a${i}`), expectedVersion: order.version, next: withAnomalies(order, batch) }), 'committed');
      order = (await store.getOrder(order.outTradeNo))!;
    }
    assert.deepEqual(order.anomalies, all.slice(-ANOMALY_LIMIT));
    assert.equal(order.status, 'WAIT_BUYER_PAY'); // anomalies never move the order

    // The store writes the lists it is given; keeping only the last entries is the domain's (decide's) job.
    const history = Array.from({ length: HISTORY_LIMIT }, (_, i) => ({
      at: `2024-05-02T00:00:${String(i).padStart(2, '0')}.000Z`, source: 'query' as const, eventId: `q-${i}`, status: 'WAIT_BUYER_PAY' as const,
    }));
    const next = { order: { ...order, version: order.version + 1, history }, awaitingPayment: true };
    assert.equal(await store.commitEvent({ record: aRecord('n-h'), expectedVersion: order.version, next }), 'committed');
    assert.deepEqual((await store.getOrder(order.outTradeNo))!.history, history);
  });

  test('a notification for an unknown order is just recorded', async () => {
    const { store } = await freshStore();
    const record = aRecord('n-unknown', { outTradeNo: 'no-such-order', outcome: 'anomaly', detail: 'unknown_order' });
    assert.equal(await store.commitEvent({ record }), 'committed');
    assert.deepEqual(await store.readForEvent('no-such-order', 'n-unknown'), { record });
    assert.equal(await store.commitEvent({ record }), 'event_exists');
  });

  test('a rejected event does not claim its event id', async () => {
    const { store } = await freshStore();
    const order = anOrder();
    await store.createOrder(order);
    await store.recordRejected(aRecord('n-claimed', { outcome: 'rejected:bad_sign' }));
    await store.recordRejected(aRecord('n-claimed', { outcome: 'rejected:atn_false' }));
    assert.deepEqual(await store.readForEvent(order.outTradeNo, 'n-claimed'), { order });
    assert.equal(await store.commitEvent({ record: aRecord('n-claimed'), expectedVersion: order.version, next: paid(order, 'n-claimed') }), 'committed');
  });

  test('raw bytes come back byte for byte (GBK, NUL, 0xFF)', async () => {
    const { store } = await freshStore();
    const raw = Buffer.concat([
      Buffer.from('subject='), Buffer.from([0xb2, 0xe2, 0xca, 0xd4]), // "测试" in GBK
      Buffer.from('&x='), Buffer.from([0x00, 0xff, 0x00, 0x80, 0xff]),
    ]);
    const record = aRecord('n-bytes', { raw });
    assert.equal(await store.commitEvent({ record }), 'committed');
    const { record: stored } = await store.readForEvent(undefined, 'n-bytes');
    assert.ok(stored && Buffer.isBuffer(stored.raw));
    assert.ok(stored.raw.equals(raw), stored.raw.toString('hex'));
    assert.deepEqual(stored, record);
  });
});
