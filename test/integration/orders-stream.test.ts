// The local stand-in for Lambda's stream reader (infra/local/orders-stream.ts) against DynamoDB Local's Streams API.
// DynamoDB Local numbers stream records across all its tables: when another table is written (or created) between
// the moment an iterator is taken on a still-empty shard and that shard's first record, the record's sequence number
// leaves a gap after the iterator and GetRecords answers TrimmedDataAccessException for ever. In the full suite other
// test files create and write tables all the time, and the demo shop never got an event (issue 13).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { OrdersStreamReader } from '../../infra/local/orders-stream.ts';
import { ensureTables, ORDER_KEY, ordersStreamArn } from '../../shared/store/tables.ts';
import { testDynamoClient, uniqueTableName } from '../support/dynamodb.ts';

const client = testDynamoClient();
const endpoint = process.env.DYNAMODB_ENDPOINT!;

async function newOrdersTable(): Promise<string> {
  const orders = uniqueTableName('stream-orders');
  await ensureTables(client, { orders, notifications: uniqueTableName('stream-notifications') });
  return orders;
}

const put = (table: string, outTradeNo: string) =>
  client.send(new PutItemCommand({ TableName: table, Item: { [ORDER_KEY]: { S: outTradeNo } } }));

const keys = (records: Awaited<ReturnType<OrdersStreamReader['read']>>) => records.map((r) => r.dynamodb?.Keys?.[ORDER_KEY]?.S);

describe('OrdersStreamReader on DynamoDB Local', () => {
  for (const start of ['LATEST', 'TRIM_HORIZON'] as const) {
    test(`opened (${start}) on a new, empty table, it reads the first records although another table was written in between`, async () => {
      const orders = await newOrdersTable();
      const reader = await new OrdersStreamReader(endpoint, await ordersStreamArn(client, orders), start).open();
      const other = await newOrdersTable();
      await put(other, 'elsewhere-1'); // takes the next sequence numbers: our shard's first record comes after a gap
      await put(orders, 'first');
      await put(orders, 'second');
      assert.deepEqual(keys(await reader.read()), ['first', 'second']);
      await put(other, 'elsewhere-2');
      await put(orders, 'third');
      assert.deepEqual(keys(await reader.read()), ['third'], 'and goes on from there, each record once');
      assert.deepEqual(keys(await reader.read()), []);
    });
  }
});
