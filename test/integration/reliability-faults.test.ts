// DynamoDB and notify_verify failing the ways AWS and Alipay fail, while Alipay delivers as it does (resending anything
// but `success` on its schedule): every order converges, nothing is lost or applied twice, every failure is answered
// `fail` within the handler's deadline. Also the handler's process dying between notify_verify and the write.
// The deployed budgets (6 s deadline, 3 s per call) apply while faults are injected: hangs must be ended by them.
import assert from 'node:assert/strict';
import { DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { describe, test } from 'node:test';
import { GatewayUnavailableError, notifyVerify } from '../../shared/alipay/gateway-client.ts';
import { StoreUnavailableError } from '../../shared/payments/store-port.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { TEST_PARTNER } from '../support/alipay-messages.ts';
import { useTestApp } from '../support/app-env.ts';
import { ALL_FAULTS, type Fault, useDynamoDbFaultProxy } from '../support/dynamodb-fault-proxy.ts';
import { ALL_GATEWAY_FAULTS, type GatewayFault } from '../support/fake-gateway.ts';
import { seeded } from '../reliability/random.ts';
import { describeResult } from '../reliability/report-table.ts';
import { crashes, DEPLOYED_BUDGETS, faultyDelivery } from '../reliability/scenarios.ts';

const { app } = useTestApp();
const faults = useDynamoDbFaultProxy(app);

/**
 * serverless.yml: past the Lambda timeout there is no answer at all. Every answer must come before it: the 6 s deadline
 * plus a 4 s margin, which a busy machine's stalls need (answers come at about 6.2–6.9 s under heavy load).
 */
const LAMBDA_TIMEOUT_MS = 10_000;
const LONG = { timeout: 1_200_000 }; // a hang fails, not a busy machine

/**
 * A client that tries once, so each injected fault shows as what the SDK makes of it. It waits as long as a busy
 * machine may need, except where a test wants to see a hang end.
 */
function bareClient(requestTimeout = 30_000): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: faults.proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1, requestHandler: { requestTimeout, throwOnRequestTimeout: true },
  });
}

const errorOf = async (p: Promise<unknown>): Promise<Error & { $fault?: string; CancellationReasons?: { Code?: string }[] }> => {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
};

describe('each injected fault is what the SDK sees from DynamoDB, in its wire format', () => {
  const key = { outTradeNo: { S: 'no-such-order' } };
  const expected: [Fault, (err: Error & { $fault?: string }) => boolean][] = [
    ['internal_error', (e) => e.name === 'InternalServerError' && e.$fault === 'server'],
    ['throttling', (e) => e.name === 'ThrottlingException'],
    ['provisioned_throughput_exceeded', (e) => e.name === 'ProvisionedThroughputExceededException'],
    ['connection_reset', (e) => /socket hang up|ECONNRESET/.test(`${e.message} ${(e as { code?: string }).code}`)],
    ['hang', (e) => e.name === 'TimeoutError'],
  ];
  for (const [fault, matches] of expected) {
    test(`${fault}: GetItem fails as ${fault === 'hang' ? 'a timeout' : 'the service would fail it'}`, async () => {
      const client = bareClient(fault === 'hang' ? 1_000 : undefined);
      try {
        faults.proxy.fail('GetItem', fault);
        const err = await errorOf(client.send(new GetItemCommand({ TableName: app.tables.orders, Key: key })));
        assert.ok(matches(err), `${err.name}: ${err.message}`);
      } finally {
        faults.proxy.heal();
        client.destroy();
      }
    });
  }

  test('transaction_conflict: TransactionCanceledException naming TransactionConflict per item; the store calls it passing trouble', async () => {
    const client = bareClient();
    try {
      faults.proxy.fail('TransactWriteItems', 'transaction_conflict');
      const put = (id: string) => ({ Put: { TableName: app.tables.notifications, Item: { eventId: { S: id } } } });
      const err = await errorOf(client.send(new TransactWriteItemsCommand({ TransactItems: [put('tc-1'), put('tc-2')] })));
      assert.equal(err.name, 'TransactionCanceledException');
      assert.deepEqual(err.CancellationReasons?.map((r) => r.Code), ['None', 'TransactionConflict']);

      const store = new DynamoDbPaymentStore(client, app.tables);
      const record = { eventId: 'tc-3', source: 'notify' as const, receivedAt: new Date().toISOString(), outcome: 'applied' as const, raw: Buffer.from('x'), expiresAt: 1 };
      await assert.rejects(store.commitEvent({ record }), StoreUnavailableError);
      faults.proxy.heal();
      assert.deepEqual(await app.notifications('tc-3'), [], 'a cancelled transaction writes nothing');
    } finally {
      faults.proxy.heal();
      client.destroy();
    }
  });

  test('answer_lost: the write is carried out, the caller gets no answer', async () => {
    const client = bareClient();
    try {
      faults.proxy.fail('PutItem', 'answer_lost');
      const err = await errorOf(client.send(new PutItemCommand({ TableName: app.tables.notifications, Item: { eventId: { S: 'lost-answer' }, notifyId: { S: 'lost-answer' } } })));
      assert.match(`${err.message} ${(err as { code?: string }).code}`, /socket hang up|ECONNRESET/);
      faults.proxy.heal();
      assert.equal((await app.notifications('lost-answer')).length, 1);
    } finally {
      faults.proxy.heal();
      client.destroy();
    }
  });

  test('chaos: about `rate` of the calls of the chosen operations fail, the others pass through untouched', async () => {
    const client = bareClient();
    try {
      const random = seeded(42);
      faults.proxy.chaos({ rate: 0.3, faults: ['internal_error', 'throttling'], operations: ['GetItem'], random });
      const before = faults.proxy.injected.length;
      let failed = 0;
      for (let i = 0; i < 60; i++) {
        await client.send(new GetItemCommand({ TableName: app.tables.orders, Key: key })).catch(() => failed++);
      }
      await client.send(new PutItemCommand({ TableName: app.tables.notifications, Item: { eventId: { S: 'chaos-put' } } }));
      const injected = faults.proxy.injected.length - before;
      assert.equal(failed, injected, 'every failure was injected, and every injection failed a call');
      assert.ok(injected > 6 && injected < 36, `${injected} of 60 failed at rate 0.3`);
    } finally {
      faults.proxy.heal();
      client.destroy();
    }
  });
});

describe('each injected notify_verify fault is passing trouble to the client, never an answer', () => {
  const expected: Record<GatewayFault, GatewayUnavailableError['kind']> = {
    timeout: 'timeout', hang: 'timeout', status_500: 'http_status', garbage: 'garbage', connection_reset: 'network',
  };
  for (const fault of ALL_GATEWAY_FAULTS) {
    test(`${fault}: GatewayUnavailableError (${expected[fault]})`, async () => {
      app.gateway.failAtRate({ rate: 1, faults: [fault] });
      try {
        // A short wait only where no answer ever comes; the others may take a busy machine's time.
        const timeoutMs = fault === 'timeout' || fault === 'hang' ? 500 : 30_000;
        const err = await errorOf(notifyVerify(TEST_PARTNER, `verify-${fault}`, { gatewayUrl: app.gateway.url, timeoutMs }));
        assert.ok(err instanceof GatewayUnavailableError, `${err.name}: ${err.message}`);
        assert.equal(err.kind, expected[fault]);
      } finally {
        app.gateway.failAtRate(undefined);
      }
    });
  }
});

describe('faults at a rate while Alipay delivers', () => {
  test('15% of DynamoDB calls and 10% of notify_verify calls fail, every kind: all orders converge, nothing lost or applied twice', LONG, async (t) => {
    const random = seeded();
    const result = await faultyDelivery({ app, proxy: faults.proxy, realEndpoint: faults.realEndpoint, random }, {
      orders: 150, copies: 1, concurrency: 16, speedup: 6000,
      dynamoRate: 0.15, dynamoFaults: ALL_FAULTS, gatewayRate: 0.1, gatewayFaults: ALL_GATEWAY_FAULTS,
      coldStartRate: 0.01, budgets: DEPLOYED_BUDGETS,
    });
    for (const line of describeResult(result)) t.diagnostic(line);
    const calls = faults.proxy.operations.length; // this file's calls through the proxy, all but a few of them this scenario's
    const dynamoFaults = Object.entries(result.faultsByKind).filter(([k]) => k.startsWith('dynamodb ')).reduce((s, [, v]) => s + v, 0);
    t.diagnostic(`DynamoDB faults ${dynamoFaults} of ${calls} calls (${Math.round((100 * dynamoFaults) / calls)}%)`);

    assert.deepEqual(result.problems, [], `seed ${random.seed}`);
    assert.ok(dynamoFaults >= 0.1 * calls, `only ${dynamoFaults} of ${calls} DynamoDB calls failed`);
    for (const fault of ALL_FAULTS) assert.ok(result.faultsByKind[`dynamodb ${fault}`], `no DynamoDB ${fault} was injected`);
    for (const fault of ALL_GATEWAY_FAULTS) assert.ok(result.faultsByKind[`notify_verify ${fault}`], `no notify_verify ${fault} was injected`);
    assert.ok(result.maxDeliveriesToConverge > 1, 'some notification needed a resend: the faults reached the handler');
    assert.deepEqual(Object.keys(result.failedAnswers), ['fail'], 'a failure is answered `fail`, never an error page or nothing');
    assert.ok(result.slowestAnswerMs < LAMBDA_TIMEOUT_MS, `the slowest answer took ${result.slowestAnswerMs} ms`);
  });
});

describe("the handler's process dies between notify_verify's true and the write, or right after the write", () => {
  test('every 8th write kills its container (Lambda-like child processes): Alipay resends to a cold start, applied once', LONG, async (t) => {
    const random = seeded();
    const result = await crashes({ app, proxy: faults.proxy, realEndpoint: faults.realEndpoint, random }, {
      orders: 12, containers: 2, crashEvery: 8, speedup: 6000, budgets: DEPLOYED_BUDGETS,
    });
    for (const line of describeResult(result)) t.diagnostic(line);
    assert.deepEqual(result.problems, [], `seed ${random.seed}`);
    assert.ok((result.faultsByKind['crash before the write'] ?? 0) >= 2, 'containers died before their write');
    assert.ok((result.faultsByKind['crash after the write'] ?? 0) >= 2, 'containers died after their write');
  });
});
