// How the DynamoDB PaymentStore turns SDK failures into outcomes: transient ones become StoreUnavailableError, bugs stay as they are.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fen } from '../../shared/alipay/amount.ts';
import type { Order } from '../../shared/orders/order.ts';
import { StoreUnavailableError, type CommitInput } from '../../shared/payments/store-port.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { orderToItem } from '../../shared/store/items.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoDbPaymentStore(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  { orders: 'orders', notifications: 'notifications' },
);

const order: Order = {
  outTradeNo: 'T-1', service: 'create_direct_pay_by_user', kind: 'instant', subject: 'book',
  amountFen: fen(1000), acceptedAmountsFen: [fen(1000)], partner: '2088101122136241', charset: 'utf-8',
  status: 'CREATED', version: 3, history: [], anomalies: [],
  createdAt: '2024-05-01T08:00:00.000Z', updatedAt: '2024-05-01T08:00:00.000Z', gatewayParams: { sign: 'f00d' },
};
const input: CommitInput = {
  record: { eventId: 'n-1', notifyId: 'n-1', source: 'notify', receivedAt: '2024-05-01T08:05:00.000Z', outcome: 'anomaly', raw: Buffer.from('x'), expiresAt: 1 },
  expectedVersion: 3,
  next: {
    order: { ...order, version: 4, anomalies: [{ at: '2024-05-01T08:05:00.000Z', code: 'amount_mismatch', detail: 'total_fee 9.99' }] },
    awaitingPayment: true,
  },
};
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });
const cancelled = (...codes: string[]) => new TransactionCanceledException({
  message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
  $metadata: meta(400),
  CancellationReasons: codes.map((Code) => ({ Code })),
});

beforeEach(() => ddb.reset());
afterEach(() => ddb.reset());

describe('commitEvent error mapping', () => {
  test('a cancellation for TransactionConflict is transient', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
  });

  test('a cancellation for throttling is transient', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ThrottlingError', 'None'));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
  });

  test('failed conditions are outcomes: the recorded event wins over the changed order', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    assert.equal(await store.commitEvent(input), 'event_exists');
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    assert.equal(await store.commitEvent(input), 'order_changed');
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'ConditionalCheckFailed'));
    assert.equal(await store.commitEvent(input), 'event_exists');
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'ConditionalCheckFailed'));
    assert.equal(await store.commitEvent(input), 'order_changed');
  });

  test('TransactionConflictException is transient', async () => {
    ddb.on(TransactWriteCommand).rejects(new TransactionConflictException({ message: 'conflict', $metadata: meta(400) }));
    const err = await store.commitEvent(input).then(() => assert.fail('should reject'), (e: unknown) => e);
    assert.ok(err instanceof StoreUnavailableError);
    assert.ok(err.cause instanceof TransactionConflictException);
    assert.match(err.message, /TransactionConflictException/);
  });

  test('ThrottlingException and ProvisionedThroughputExceededException are transient', async () => {
    ddb.on(TransactWriteCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: meta(400) }));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
    ddb.on(TransactWriteCommand).rejects(new ProvisionedThroughputExceededException({ message: 'too much', $metadata: meta(400) }));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
  });

  test('a 500 is transient', async () => {
    ddb.on(TransactWriteCommand).rejects(new DynamoDBServiceException({
      name: 'UnknownError', $fault: 'server', message: 'We encountered an internal error', $metadata: meta(500),
    }));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
  });

  test('a network error is transient', async () => {
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('request timed out'), { name: 'TimeoutError' }));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
  });

  test('ValidationException is rethrown as it is', async () => {
    const validation = new DynamoDBServiceException({
      name: 'ValidationException', $fault: 'client', message: 'Item size has exceeded the maximum allowed size', $metadata: meta(400),
    });
    ddb.on(TransactWriteCommand).rejects(validation);
    await assert.rejects(store.commitEvent(input), (err) => err === validation);
  });

  test('a cancellation for ValidationError is rethrown as it is', async () => {
    const err = cancelled('ValidationError', 'None');
    ddb.on(TransactWriteCommand).rejects(err);
    await assert.rejects(store.commitEvent(input), (e) => e === err);
  });
});

describe('the other calls', () => {
  test('createOrder returns the existing order from the failed condition, without a second read', async () => {
    const existing = { ...order, subject: 'the first one' };
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({
      message: 'The conditional request failed', $metadata: meta(400),
      Item: marshall(orderToItem({ order: existing, awaitingPayment: true }), { removeUndefinedValues: true }),
    }));
    assert.deepEqual(await store.createOrder(order), { created: false, existing });
    assert.equal(ddb.commandCalls(GetCommand).length, 0);
  });

  test('createOrder reads the order when the failed condition does not carry it', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta(400) }));
    ddb.on(GetCommand).resolves({ Item: orderToItem({ order, awaitingPayment: true }) });
    assert.deepEqual(await store.createOrder(order), { created: false, existing: order });
    assert.equal(ddb.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead, true);
  });

  test('getOrder maps throttling to StoreUnavailableError', async () => {
    ddb.on(GetCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: meta(400) }));
    await assert.rejects(store.getOrder('T-1'), StoreUnavailableError);
  });

  test('commitEvent sends one transaction: the guarded event put and the next order, put over the version read', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    assert.equal(await store.commitEvent(input), 'committed');
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    assert.equal(items.length, 2);
    assert.equal(items[0]?.Put?.ConditionExpression, 'attribute_not_exists(#key)');
    assert.equal(items[0]?.Put?.Item?.eventId, 'n-1');
    assert.equal(items[1]?.Put?.ConditionExpression, '#version = :expected');
    assert.equal(items[1]?.Put?.ExpressionAttributeValues?.[':expected'], 3);
    assert.equal(items[1]?.Put?.Item?.version, 4);
    assert.equal(items[1]?.Put?.Item?.awaitingPayment, 'Y');
  });

  test('commitEvent refuses a next order that is not the version after the one read', async () => {
    await assert.rejects(store.commitEvent({ ...input, expectedVersion: 2 }), /expectedVersion \+ 1/);
    assert.equal(ddb.commandCalls(TransactWriteCommand).length, 0);
  });

  test('a call abandoned at the deadline (AbortError) is transient', async () => {
    ddb.on(TransactWriteCommand).rejects(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    await assert.rejects(store.commitEvent(input), StoreUnavailableError);
  });
});
