// Least privilege that still works: every DynamoDB access each function really makes, through its flows against
// DynamoDB Local (recorded by a proxy), is one its role grants. (The template test checks each role is exactly
// test/support/iam-expected.ts; this one checks the code needs nothing more: a missing grant is an AccessDenied in AWS.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handler as reconcileHandler } from '../../functions/reconcile.ts';
import { startSandbox, type Sandbox } from '../../infra/local/sandbox/index.ts';
import { notification, returnQuery, signMessage, TEST_KEY, TEST_PARTNER, tradeFields } from '../support/alipay-messages.ts';
import { getPayment, getReturn, postClose, postNotify, postPayment, postRefund, postShip } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { type Access, DynamoDbRecorder } from '../support/dynamodb-recorder.ts';
import { EXPECTED } from '../support/iam-expected.ts';
import { createOrder, paymentExample } from '../support/payments.ts';

const { app } = useTestApp({ RECONCILE_MIN_AGE_MINUTES: '0' });
let recorder: DynamoDbRecorder;
let sandbox: Sandbox;
const realEndpoint = process.env.DYNAMODB_ENDPOINT!;

before(async () => {
  recorder = await new DynamoDbRecorder(realEndpoint).start();
  sandbox = await startSandbox({ accounts: [{ partner: TEST_PARTNER, key: TEST_KEY }] });
});
after(async () => {
  app.setEnv({ DYNAMODB_ENDPOINT: realEndpoint });
  await Promise.all([recorder.stop(), sandbox.stop()]);
});

/** The logical table names of the template, for the tables this file uses. */
function logical(resource: string): string {
  return resource.replace(app.tables.orders, 'OrdersTable').replace(app.tables.notifications, 'NotificationsTable');
}

/** Runs `flow` as function `slsName` would (its DynamoDB calls recorded) and checks each against its role. */
async function asFunction(slsName: string, flow: () => Promise<void>, gateway: 'fake' | 'sandbox' = 'fake'): Promise<Access[]> {
  app.setEnv({ DYNAMODB_ENDPOINT: recorder.endpoint, ALIPAY_GATEWAY_URL: gateway === 'sandbox' ? sandbox.gatewayUrl : app.gateway.url });
  recorder.take();
  try {
    await flow();
  } finally {
    app.setEnv({ DYNAMODB_ENDPOINT: realEndpoint, ALIPAY_GATEWAY_URL: app.gateway.url });
  }
  const accesses = recorder.take().map((a) => ({ ...a, resource: logical(a.resource) }));
  const granted = EXPECTED[slsName]!.tables;
  const missing = accesses.filter((a) => !granted[a.resource]?.includes(a.action));
  assert.deepEqual([...new Set(missing.map((a) => `${a.action} on ${a.resource}`))], [], `${slsName} makes calls its role does not grant`);
  assert.ok(accesses.length > 0, `${slsName}: the flow made no DynamoDB call (it tests nothing)`);
  return accesses;
}

/** POST /payments, and the buyer at the sandbox's cashier (the trade exists there). */
async function checkoutAtSandbox(service: Parameters<typeof paymentExample>[0]): Promise<{ outTradeNo: string; tradeNo: string }> {
  app.setEnv({ ALIPAY_GATEWAY_URL: sandbox.gatewayUrl });
  const example = paymentExample(service);
  const created = await postPayment(example.body);
  assert.equal(created.status, 201, created.body);
  const res = await fetch(created.json.gatewayUrl, { redirect: 'manual' });
  const tradeNo = /\/cashier\/(\d+)$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo);
  return { outTradeNo: example.body.outTradeNo as string, tradeNo };
}

describe('each role grants every DynamoDB access its function makes', () => {
  test('createPayment: a new order and the same request again', async () => {
    const example = paymentExample('create_direct_pay_by_user');
    await asFunction('createPayment', async () => {
      assert.equal((await postPayment(example.body)).status, 201);
      assert.equal((await postPayment(example.body)).status, 200);
    });
  });

  test('orderStatus', async () => {
    const order = await createOrder();
    await asFunction('orderStatus', async () => {
      assert.equal((await getPayment(order.outTradeNo)).status, 200);
    });
  });

  test('notify: applied, duplicate, unknown order, disowned by notify_verify, unidentifiable, an unknown refund batch', async () => {
    const order = await createOrder();
    const paid = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    const disowned = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_FINISHED', totalFee: order.paidFee });
    app.gateway.answer(disowned.notifyId, 'false');
    await asFunction('notify', async () => {
      assert.equal((await postNotify(paid)).body, 'success');
      assert.equal((await postNotify(paid)).body, 'success');
      assert.equal((await postNotify(notification({ outTradeNo: 'NO-SUCH-ORDER', tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' }))).body, 'success');
      assert.equal((await postNotify(disowned)).body, 'fail');
      assert.equal((await postNotify(signMessage(tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00', extra: { notify_id: undefined } })))).body, 'success');
      const refund = signMessage({ notify_time: '2026-11-30 10:00:00', notify_type: 'batch_refund_notify', notify_id: 'f'.repeat(34), batch_no: '2026113000000001', success_num: '1', result_details: '2026113021001004380280045538^1.00^SUCCESS' });
      assert.equal((await postNotify(refund)).body, 'success');
    });
  });

  test('return: applied, and too old to confirm (the stored order shown)', async () => {
    const order = await createOrder();
    await asFunction('return', async () => {
      await getReturn(returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }));
      await getReturn(returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, notifyTime: new Date(Date.now() - 3_600_000) }));
    });
  });

  test('reconcile, closePayment, shipPayment and refundPayment, against the sandbox', async () => {
    const escrow = await checkoutAtSandbox('create_partner_trade_by_buyer');
    const instant = await checkoutAtSandbox('create_direct_pay_by_user');
    const unpaid = await checkoutAtSandbox('create_direct_pay_by_user');
    await sandbox.act(escrow.tradeNo, 'pay');
    await sandbox.act(instant.tradeNo, 'pay');
    await asFunction('reconcile', async () => {
      const run = await reconcileHandler();
      assert.ok(run.advanced >= 2, JSON.stringify(run));
    }, 'sandbox');
    await asFunction('closePayment', async () => {
      assert.equal((await postClose(unpaid.outTradeNo)).status, 200);
    }, 'sandbox');
    await asFunction('shipPayment', async () => {
      const res = await postShip(escrow.outTradeNo, { logisticsName: 'EMS', invoiceNo: 'E123', transportType: 'EMS' });
      assert.equal(res.status, 202, res.body);
    }, 'sandbox');
    await asFunction('refundPayment', async () => {
      const res = await postRefund(instant.outTradeNo, { amount: '1.00', reason: 'test', mode: 'pwd' });
      assert.equal(res.status, 201, res.body);
    }, 'sandbox');
  });
});
