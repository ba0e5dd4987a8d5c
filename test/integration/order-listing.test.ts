// The operator's listings against DynamoDB Local: orders newest first by status or since a time, an order's event
// records oldest first, page after page. Every request is counted: the listings read indexes, never Scan the table.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { type DynamoDbLocal, localDynamoClientConfig, startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { fen } from '../../shared/alipay/amount.ts';
import type { Order } from '../../shared/orders/order.ts';
import type { OrderStatus } from '../../shared/orders/trade-status.ts';
import type { EventRecord, OrderQuery, OrderSummary } from '../../shared/payments/store-port.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { InvalidCursorError } from '../../shared/store/order-listing.ts';
import { ensureTables, notificationsTableDefinition, ordersTableDefinition, type TableNames } from '../../shared/store/tables.ts';
import { testDynamoClient, uniqueTableName } from '../support/dynamodb.ts';

const client = testDynamoClient();
const created: string[] = [];
after(async () => {
  await Promise.all(created.map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  client.destroy();
});

/** A store whose every DynamoDB request is written down by command name. */
function countingStore(tables: TableNames): { store: DynamoDbPaymentStore; sent: string[]; counted: DynamoDBClient } {
  const counted = testDynamoClient();
  const sent: string[] = [];
  counted.middlewareStack.add((next, context) => (args) => {
    sent.push(context.commandName ?? '?');
    return next(args);
  }, { step: 'initialize' });
  return { store: new DynamoDbPaymentStore(counted, tables), sent, counted };
}

function anOrder(status: OrderStatus, createdAt: string): Order {
  const outTradeNo = `L${randomBytes(5).toString('hex')}`;
  return {
    outTradeNo, service: 'create_direct_pay_by_user', kind: 'instant', subject: '列表', amountFen: fen(1000), acceptedAmountsFen: [fen(1000)],
    partner: '2088101122136241', charset: 'utf-8', status, version: 0, history: [], anomalies: [], createdAt, updatedAt: createdAt,
    gatewayParams: { out_trade_no: outTradeNo },
    ...(status === 'CREATED' || status === 'WAIT_BUYER_PAY' ? {} : { paidFen: fen(1000), tradeNo: `2024050122001${randomBytes(7).toString('hex').slice(0, 15)}` }),
  };
}

/** Minute `i` of 1 May 2024. */
const at = (i: number) => new Date(Date.UTC(2024, 4, 1, 8, i)).toISOString();

/** Ten orders, one a minute, in five statuses; newest last. */
/** Which of them have anomalies. */
const ANOMALOUS = [1, 2, 8];
const PLAN: OrderStatus[] = ['CREATED', 'TRADE_SUCCESS', 'WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_CLOSED', 'TRADE_SUCCESS', 'CREATED', 'TRADE_FINISHED', 'TRADE_SUCCESS', 'CREATED'];

describe('listOrders and listEventRecords on DynamoDB Local', () => {
  let tables: TableNames;
  let orders: Order[];
  before(async () => {
    tables = { orders: uniqueTableName('list-orders'), notifications: uniqueTableName('list-notifications') };
    created.push(tables.orders, tables.notifications);
    await ensureTables(client, tables);
    const store = new DynamoDbPaymentStore(client, tables);
    orders = PLAN.map((status, i) => anOrder(status, at(i)));
    for (const o of orders) await store.createOrder(o);
    // Three of them get an anomaly recorded, as the domain decides it: the order, one version on, with the anomaly.
    for (const i of ANOMALOUS) {
      const o = orders[i]!;
      const anomalies = [{ at: at(20 + i), code: 'amount_mismatch' as const, detail: 'total_fee 1.00 does not match the order amount 10.00', eventId: `n-a${i}` }];
      orders[i] = { ...o, version: 1, anomalies };
      const record: EventRecord = { eventId: `n-a${i}`, source: 'notify', receivedAt: at(20 + i), outcome: 'anomaly', raw: Buffer.from('x'), expiresAt: 1_800_000_000 };
      assert.equal(await store.commitEvent({ record, expectedVersion: 0, next: { order: orders[i]!, awaitingPayment: false } }), 'committed');
    }
  });
  const newest = (filter: (o: Order) => boolean) => orders.filter(filter).reverse().map((o) => o.outTradeNo);

  /** Every page of a listing, and what it cost. */
  async function allPages(query: Omit<OrderQuery, 'cursor'>): Promise<{ pages: OrderSummary[][]; sent: string[] }> {
    const { store, sent, counted } = countingStore(tables);
    try {
      const pages: OrderSummary[][] = [];
      let page = await store.listOrders(query);
      pages.push(page.orders);
      while (page.next) {
        page = await store.listOrders({ ...query, cursor: page.next });
        pages.push(page.orders);
      }
      return { pages, sent };
    } finally {
      counted.destroy();
    }
  }

  test('--status: one Query per page on the status index, newest first, pages that neither overlap nor skip', async () => {
    const { pages, sent } = await allPages({ status: 'TRADE_SUCCESS', limit: 3 });
    assert.deepEqual(pages.flat().map((o) => o.outTradeNo), newest((o) => o.status === 'TRADE_SUCCESS'));
    assert.deepEqual(pages.map((p) => p.length), [3, 1], 'the last page is not an empty one: a page reads one more order to know');
    assert.deepEqual(sent, ['QueryCommand', 'QueryCommand']);
  });

  test('a page shows what the listing needs: service, status, amounts, trade_no, times', async () => {
    const store = new DynamoDbPaymentStore(client, tables);
    const [first] = (await store.listOrders({ status: 'TRADE_FINISHED', limit: 1 })).orders;
    const order = orders.find((o) => o.status === 'TRADE_FINISHED')!;
    assert.deepEqual(first, {
      outTradeNo: order.outTradeNo, service: order.service, status: order.status, amountFen: order.amountFen, paidFen: order.paidFen,
      tradeNo: order.tradeNo, createdAt: order.createdAt, updatedAt: order.updatedAt, hasAnomalies: false,
    });
  });

  test('--anomalies: one Query on the sparse index, only orders with anomalies, newest first; a status filters them', async () => {
    const { pages, sent } = await allPages({ anomalies: true, limit: 2 });
    assert.deepEqual(pages.flat().map((o) => o.outTradeNo), newest((o) => o.anomalies.length > 0));
    assert.ok(pages.flat().every((o) => o.hasAnomalies));
    assert.ok(sent.every((c) => c === 'QueryCommand') && sent.length <= 2, sent.join(', '));

    const success = await allPages({ anomalies: true, status: 'TRADE_SUCCESS', limit: 1 });
    assert.deepEqual(success.pages.flat().map((o) => o.outTradeNo), newest((o) => o.anomalies.length > 0 && o.status === 'TRADE_SUCCESS'));
    assert.ok(success.sent.every((c) => c === 'QueryCommand'), success.sent.join(', '));
  });

  test('the status listing flags the orders with anomalies', async () => {
    const { pages } = await allPages({ status: 'TRADE_SUCCESS', limit: 10 });
    assert.deepEqual(pages.flat().filter((o) => o.hasAnomalies).map((o) => o.outTradeNo), newest((o) => o.status === 'TRADE_SUCCESS' && o.anomalies.length > 0));
  });

  test('no status: the status index once per status (8 queries a page), merged newest first across statuses', async () => {
    const { pages, sent } = await allPages({ limit: 4 });
    assert.deepEqual(pages.flat().map((o) => o.outTradeNo), newest(() => true));
    assert.deepEqual(pages.map((p) => p.length), [4, 4, 2]);
    assert.ok(sent.every((c) => c === 'QueryCommand'), sent.join(', '));
    // The first page asks all 8 statuses; later pages only those with orders left (5 statuses hold orders here).
    assert.ok(sent.length >= 8 && sent.length <= 8 + 5 + 5, `${sent.length} queries for ${pages.length} pages`);
  });

  test('--since: only orders created at or after the time, with or without a status', async () => {
    const since = at(6);
    const all = await allPages({ since, limit: 10 });
    assert.deepEqual(all.pages.flat().map((o) => o.outTradeNo), newest((o) => o.createdAt >= since));
    const success = await allPages({ since, status: 'TRADE_SUCCESS', limit: 10 });
    assert.deepEqual(success.pages.flat().map((o) => o.outTradeNo), newest((o) => o.createdAt >= since && o.status === 'TRADE_SUCCESS'));
    assert.ok([...all.sent, ...success.sent].every((c) => c === 'QueryCommand'));
  });

  test('awaiting payment with createdAfter: the orders created in [after, before), oldest first, in one Query', async () => {
    const { store, sent, counted } = countingStore(tables);
    try {
      const page = await store.listAwaitingPayment({ createdAfter: at(5), createdBefore: at(9), limit: 10 });
      // Every order was created awaiting payment; the three with anomalies were written back without the marker.
      assert.deepEqual(page.orders.map((o) => o.outTradeNo), [5, 6, 7].map((i) => orders[i]!.outTradeNo));
      assert.deepEqual((await store.listAwaitingPayment({ createdAfter: at(9), createdBefore: at(9), limit: 10 })).orders, []);
      assert.deepEqual(sent, ['QueryCommand']);
    } finally {
      counted.destroy();
    }
  });

  test('a cursor from another listing is refused, not misread', async () => {
    const store = new DynamoDbPaymentStore(client, tables);
    const page = await store.listOrders({ status: 'CREATED', limit: 1 });
    assert.ok(page.next);
    await assert.rejects(store.listOrders({ status: 'TRADE_SUCCESS', limit: 1, cursor: page.next }), InvalidCursorError);
  });

  test("an order's event records, oldest first, page by page, rejected ones included; other orders' and orderless records left out", async () => {
    const { store, sent, counted } = countingStore(tables);
    try {
      const [order, other] = orders;
      const record = (eventId: string, outTradeNo: string | undefined, minute: number, outcome: EventRecord['outcome'] = 'applied'): EventRecord => ({
        eventId, source: 'notify', notifyId: eventId, receivedAt: at(30 + minute), outcome, raw: Buffer.from(`notify_id=${eventId}`),
        expiresAt: 1_800_000_000, ...(outTradeNo ? { outTradeNo, tradeStatus: 'TRADE_SUCCESS' } : {}),
      });
      await store.commitEvent({ record: record('n-3', order!.outTradeNo, 3) });
      await store.commitEvent({ record: record('n-1', order!.outTradeNo, 1) });
      await store.recordRejected(record('n-2', order!.outTradeNo, 2, 'rejected:notify_verify_false'));
      await store.commitEvent({ record: record('n-other', other!.outTradeNo, 1) });
      await store.commitEvent({ record: record('unidentified#x', undefined, 1) });
      await store.writeCursor('reconcile', { awaitingPayment: 'Y' });
      sent.length = 0;

      const first = await store.listEventRecords(order!.outTradeNo, { limit: 2 });
      assert.ok(first.next);
      const second = await store.listEventRecords(order!.outTradeNo, { limit: 2, cursor: first.next });
      const records = [...first.records, ...second.records];
      assert.deepEqual(records.map((r) => [r.receivedAt, r.outcome]), [[at(31), 'applied'], [at(32), 'rejected:notify_verify_false'], [at(33), 'applied']]);
      assert.match(records[1]!.eventId, /^rejected#n-2#/);
      assert.ok(records[0]!.raw.equals(Buffer.from('notify_id=n-1')));
      assert.deepEqual((await store.listEventRecords('no-such-order', { limit: 10 })).records, []);
      assert.ok(sent.every((c) => c === 'QueryCommand'), sent.join(', '));
    } finally {
      counted.destroy();
    }
  });
});

describe('ensureTables on tables made before the listing indexes', () => {
  // Its own DynamoDB Local: in a shared one, an UpdateTimeToLive on any other table (every other test file's
  // ensureTables makes one) can leave an index being added CREATING for ever; in the full suite the index waited
  // over 5 minutes. Found by adding an index while another client created tables with TTL in a loop. AWS has no such
  // interplay, and nothing in the product adds an index while it updates a TTL.
  let own: DynamoDbLocal;
  let client: DynamoDBClient;
  before(async () => {
    own = await startDynamoDbLocal({});
    client = new DynamoDBClient(localDynamoClientConfig(own.endpoint));
  });
  after(async () => {
    client?.destroy();
    await own?.stop();
  });

  test('adds the missing indexes, and the orders already stored appear in them', async () => {
    const tables = { orders: uniqueTableName('old-orders'), notifications: uniqueTableName('old-notifications') };
    // The tables as an earlier version created them: only the awaiting-payment index.
    const orders = ordersTableDefinition(tables.orders);
    const notifications = notificationsTableDefinition(tables.notifications);
    await client.send(new CreateTableCommand({
      ...orders,
      GlobalSecondaryIndexes: orders.GlobalSecondaryIndexes!.filter((i) => i.IndexName === 'awaiting-payment'),
      AttributeDefinitions: orders.AttributeDefinitions!.filter((a) => ['outTradeNo', 'awaitingPayment', 'createdAt'].includes(a.AttributeName!)),
    }));
    await client.send(new CreateTableCommand({ ...notifications, GlobalSecondaryIndexes: undefined, AttributeDefinitions: notifications.AttributeDefinitions!.slice(0, 1) }));
    for (const TableName of [tables.orders, tables.notifications]) await waitUntilTableExists({ client, maxWaitTime: 120 }, { TableName });
    const store = new DynamoDbPaymentStore(client, tables);
    const old = anOrder('TRADE_SUCCESS', at(1));
    await store.createOrder(old);
    const anomalous = anOrder('TRADE_CLOSED', at(2));
    await store.createOrder({ ...anomalous, anomalies: [{ at: at(3), code: 'paid_after_close', detail: 'TRADE_SUCCESS reported for an order closed unpaid' }] });

    await ensureTables(client, tables);
    for (const [name, definition] of [[tables.orders, orders], [tables.notifications, notifications]] as const) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      assert.deepEqual(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort(), definition.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort());
    }
    assert.deepEqual((await store.listOrders({ status: 'TRADE_SUCCESS', limit: 5 })).orders.map((o) => o.outTradeNo), [old.outTradeNo]);
    assert.deepEqual((await store.listOrders({ anomalies: true, limit: 5 })).orders.map((o) => o.outTradeNo), [anomalous.outTradeNo]);
  });
});
