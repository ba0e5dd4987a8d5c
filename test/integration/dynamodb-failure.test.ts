// When DynamoDB fails: notify answers `fail` (Alipay retries) with nothing half-written; the JSON routes answer 503.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { notification, returnQuery } from '../support/alipay-messages.ts';
import { getPayment, getReturn, postNotify, postPayment } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { useDynamoDbFaultProxy } from '../support/dynamodb-fault-proxy.ts';
import { createOrder, paymentExample } from '../support/payments.ts';

const { app } = useTestApp();
const faults = useDynamoDbFaultProxy(app);
const realEndpoint = faults.realEndpoint;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('DynamoDB cannot be reached at all', () => {
  let order: Awaited<ReturnType<typeof createOrder>>;
  before(async () => {
    order = await createOrder(); // while DynamoDB is still there
    app.setEnv({ DYNAMODB_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
  });
  after(() => app.setEnv({ DYNAMODB_ENDPOINT: realEndpoint }));

  test('notify answers fail, without asking notify_verify', async () => {
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    const res = await postNotify(message);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(res.body, 'fail');
    assert.equal(app.gateway.callCount(message.notifyId), 0);
  });

  test('a forged notify still answers fail (keeping the rejected record fails too)', async () => {
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }, { tamper: { total_fee: '0.01' } });
    assert.equal((await postNotify(message)).body, 'fail');
  });

  test('POST /payments and GET /payments/{id} answer 503 without details', async () => {
    const created = await postPayment(paymentExample('create_direct_pay_by_user').body);
    assert.equal(created.status, 503, created.body);
    assert.equal(created.json.error.code, 'UNAVAILABLE');
    assert.doesNotMatch(created.body, /ECONNREFUSED|127\.0\.0\.1|stack/);
    const status = await getPayment(order.outTradeNo);
    assert.equal(status.status, 503, status.body);
  });

  test('the return page says waiting rather than failing', async () => {
    const res = await getReturn(returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }));
    assert.equal(res.status, 200);
    assert.match(res.body, /data-result="waiting"/);
  });

  test('once DynamoDB is back, the order is still CREATED: nothing was written', async () => {
    app.setEnv({ DYNAMODB_ENDPOINT: realEndpoint });
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'CREATED');
    assert.equal(stored!.version, 1);
    assert.deepEqual((await app.notifications()).filter((r) => r.outTradeNo === order.outTradeNo), []);
  });
});

describe('DynamoDB fails part of the way (through a proxy that fails chosen operations)', () => {
  before(() => app.setEnv({ DYNAMODB_ENDPOINT: faults.proxy.endpoint }));
  after(() => {
    faults.proxy.heal();
    app.setEnv({ DYNAMODB_ENDPOINT: realEndpoint });
  });

  for (const fault of ['internal_error', 'connection_reset'] as const) {
    test(`the write fails (${fault}) after notify_verify said true: fail, nothing half-written; the retry applies it once`, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });

      faults.proxy.fail('TransactWriteItems', fault);
      assert.equal((await postNotify(message)).body, 'fail');
      assert.equal(app.gateway.callCount(message.notifyId), 1);
      assert.deepEqual(await app.getOrder(order.outTradeNo), before);
      assert.deepEqual(await app.notifications(message.notifyId), []);

      faults.proxy.heal();
      assert.equal((await postNotify(message)).body, 'success');
      const stored = await app.getOrder(order.outTradeNo);
      assert.equal(stored!.status, 'TRADE_SUCCESS');
      assert.equal(stored!.version, 2);
      assert.deepEqual((await app.notifications(message.notifyId)).map((r) => r.outcome), ['applied']);
      assert.equal(app.gateway.callCount(message.notifyId), 1, "Alipay's `true` is remembered: the retry does not ask again");
    });
  }

  test('the write succeeds but its answer is lost: the handler finds its own write, answers success, applied once', async () => {
    const order = await createOrder();
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    faults.proxy.fail('TransactWriteItems', 'answer_lost');
    assert.equal((await postNotify(message)).body, 'success');
    faults.proxy.heal();
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'TRADE_SUCCESS');
    assert.equal(stored!.version, 2);
    assert.equal(stored!.history.length, 1);
    assert.deepEqual((await app.notifications(message.notifyId)).map((r) => r.outcome), ['applied']);

    // Alipay's next delivery (if our answer were lost too) is a known duplicate: no second notify_verify.
    assert.equal((await postNotify(message)).body, 'success');
    assert.equal((await app.getOrder(order.outTradeNo))!.version, 2);
    assert.equal(app.gateway.callCount(message.notifyId), 1);
  });

  test('the read fails: fail before notify_verify is asked', async () => {
    const order = await createOrder();
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    faults.proxy.fail('BatchGetItem');
    assert.equal((await postNotify(message)).body, 'fail');
    faults.proxy.heal();
    assert.equal(app.gateway.callCount(message.notifyId), 0);
    assert.equal((await app.getOrder(order.outTradeNo))!.status, 'CREATED');
  });
});
