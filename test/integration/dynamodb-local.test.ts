// Proves the real DynamoDB Local engine works over HTTP with the real SDK:
// conditional writes and transaction cancellation behave like the service.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  TransactionCanceledException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { testDynamoClient, uniqueTableName } from '../support/dynamodb.ts';

describe('DynamoDB Local', () => {
  const client = testDynamoClient();
  const doc = DynamoDBDocumentClient.from(client);
  const TableName = uniqueTableName('payments');

  before(async () => {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'outTradeNo', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'outTradeNo', KeyType: 'HASH' }],
      }),
    );
    // DynamoDB Local makes tables ACTIVE at once; the waiter keeps this honest elsewhere.
    await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName });
  });

  after(async () => {
    await client.send(new DeleteTableCommand({ TableName }));
    client.destroy();
  });

  test('conditional put succeeds once, then ConditionalCheckFailedException', async () => {
    const put = () =>
      doc.send(
        new PutCommand({
          TableName,
          Item: { outTradeNo: 'T-1', status: 'WAIT_BUYER_PAY', totalFen: 100 },
          ConditionExpression: 'attribute_not_exists(outTradeNo)',
        }),
      );
    await put();
    await assert.rejects(put, ConditionalCheckFailedException);
  });

  test('failing transaction throws TransactionCanceledException with readable reasons', async () => {
    await doc.send(new PutCommand({ TableName, Item: { outTradeNo: 'T-2', status: 'WAIT_BUYER_PAY' } }));
    const err = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: { outTradeNo: 'T-3', status: 'NEW' } } },
            {
              Update: {
                TableName,
                Key: { outTradeNo: 'T-2' },
                UpdateExpression: 'SET #s = :paid',
                ConditionExpression: '#s = :expected',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':paid': 'TRADE_SUCCESS', ':expected': 'TRADE_CLOSED' },
              },
            },
          ],
        }),
      )
      .then(() => assert.fail('transaction should have been cancelled'), (e: unknown) => e);
    assert.ok(err instanceof TransactionCanceledException, `got ${String(err)}`);
    assert.deepEqual(
      err.CancellationReasons?.map((r) => r.Code),
      ['None', 'ConditionalCheckFailed'],
    );
  });
});

test('launcher fails clearly when the port is taken', { timeout: 10_000 }, async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    await assert.rejects(startDynamoDbLocal({ port }), new RegExp(`port ${port} is already in use`));
  } finally {
    blocker.close();
  }
});
