// What a reconciliation pass costs: over 10,000 orders of which 1% still await payment, it reads only the sparse
// index and the pending orders — its DynamoDB requests grow with the pending orders, not with the table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startSandbox, type Sandbox } from '../../infra/local/sandbox/index.ts';
import { callGateway, type ServerAccount } from '../../shared/alipay/server-call.ts';
import { fen } from '../../shared/alipay/amount.ts';
import { Deadline } from '../../shared/deadline.ts';
import type { Order } from '../../shared/orders/order.ts';
import { reconcile } from '../../shared/payments/reconcile.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { orderToItem } from '../../shared/store/items.ts';
import { ensureTables } from '../../shared/store/tables.ts';
import { TEST_KEY, TEST_PARTNER } from '../support/alipay-messages.ts';
import { testDynamoClient, uniqueTableName } from '../support/dynamodb.ts';

const TOTAL = 10_000;
const PENDING = 100;
const client = testDynamoClient();
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const tables = { orders: uniqueTableName('cost-orders'), notifications: uniqueTableName('cost-notifications') };
let sandbox: Sandbox;

const anOrder = (i: number, pending: boolean): Order => {
  const createdAt = new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString();
  return {
    outTradeNo: `COST${String(i).padStart(6, '0')}`, service: 'create_direct_pay_by_user', kind: 'instant', subject: 's',
    amountFen: fen(1000), acceptedAmountsFen: [fen(1000)], partner: TEST_PARTNER, sellerId: TEST_PARTNER, charset: 'utf-8',
    status: pending ? 'CREATED' : 'TRADE_FINISHED', version: 1, history: [], anomalies: [], createdAt, updatedAt: createdAt,
    gatewayParams: {}, ...(pending ? {} : { paidFen: fen(1000), tradeNo: `2026110121${String(i).padStart(18, '0')}` }),
  };
};

before(async () => {
  await ensureTables(client, tables);
  sandbox = await startSandbox({ accounts: [{ partner: TEST_PARTNER, key: TEST_KEY }] });
  // 10,000 orders, every 100th still awaiting payment; written 25 to a request, a few requests at a time.
  const items = Array.from({ length: TOTAL }, (_, i) => {
    const pending = i % (TOTAL / PENDING) === 0;
    return orderToItem({ order: anOrder(i, pending), awaitingPayment: pending });
  });
  const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, b) => items.slice(b * 25, b * 25 + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(batches.slice(i, i + 8).map(async (batch) => {
      let unprocessed: Record<string, any> | undefined = { [tables.orders]: batch.map((Item) => ({ PutRequest: { Item } })) };
      while (unprocessed && Object.keys(unprocessed).length > 0) {
        const out: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: unprocessed }));
        unprocessed = out.UnprocessedItems;
      }
    }));
  }
});
after(async () => {
  await sandbox?.stop();
  await Promise.all([tables.orders, tables.notifications].map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  client.destroy();
});

describe('the cost of a reconciliation pass', () => {
  test(`${TOTAL} orders, ${PENDING} pending: every pending order is checked once, in O(pending) DynamoDB requests, with no Scan`, { timeout: 600_000 }, async (t) => {
    const counted = testDynamoClient();
    const requests: string[] = [];
    counted.middlewareStack.add((next, context) => (args) => {
      requests.push(context.commandName ?? '?');
      return next(args);
    }, { step: 'initialize' });
    try {
      const store = new DynamoDbPaymentStore(counted, tables);
      const account: ServerAccount = { partner: TEST_PARTNER, key: TEST_KEY, charset: 'utf-8', gatewayUrl: sandbox.gatewayUrl };
      const queried: string[] = [];
      const summary = await reconcile({
        store, partner: TEST_PARTNER, retentionDays: 1, now: () => new Date().toISOString(), minAgeMs: 0, closeAfterMs: 1e12,
        queryTrade: (outTradeNo, signal) => {
          queried.push(outTradeNo);
          return callGateway('single_trade_query', { out_trade_no: outTradeNo }, account, { timeoutMs: 30_000, signal });
        },
        closeTrade: () => assert.fail('nothing is past its deadline'),
      }, { deadline: new Deadline(600_000), maxOrders: 1_000, cursor: 'start' });

      const count = (name: string) => requests.filter((r) => r === name).length;
      t.diagnostic(`orders ${TOTAL}, pending ${PENDING}: DynamoDB requests ${requests.length} (${[...new Set(requests)].map((n) => `${n} ${count(n)}`).join(', ')})`);
      assert.equal(summary.checked, PENDING);
      assert.equal(new Set(queried).size, PENDING, 'each pending order asked about once');
      assert.equal(summary.errors, 0, JSON.stringify(summary.orders.filter((o) => o.outcome === 'error').slice(0, 3)));
      assert.equal(count('ScanCommand'), 0);
      // A page of the index per 25 pending orders, and one read per pending order (the sandbox has no trade: TRADE_NOT_EXIST).
      assert.ok(count('QueryCommand') <= Math.ceil(PENDING / 25) + 1, `${count('QueryCommand')} index pages`);
      assert.ok(requests.length <= 2 * PENDING + 10, `${requests.length} requests for ${PENDING} pending orders`);
    } finally {
      counted.destroy();
    }
  });
});
