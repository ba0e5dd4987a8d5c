// After checkout, through the real handlers with the local sandbox as Alipay (real HTTP): reconciliation recovers an
// order whose notifications never arrived, close_trade closes unpaid orders, escrow shipping is confirmed, and the
// refund ledger never spends more than was paid.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handler as reconcileHandler } from '../../functions/reconcile.ts';
import { startSandbox, type Sandbox } from '../../infra/local/sandbox/index.ts';
import { TEST_KEY, TEST_PARTNER } from '../support/alipay-messages.ts';
import { getPayment, postClose, postPayment, postRefund, postShip } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { paymentExample } from '../support/payments.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';

// Notifications go to PUBLIC_BASE_URL (https://shop.example.com), which nobody serves here: every one of them is lost,
// as when a firewall or an outage keeps Alipay out. Only reconciliation can tell us what happened.
const { app } = useTestApp({ RECONCILE_MIN_AGE_MINUTES: '0' });
let sandbox: Sandbox;

before(async () => {
  sandbox = await startSandbox({ accounts: [{ partner: TEST_PARTNER, key: TEST_KEY }], retrySpeedup: 1 });
});
after(async () => {
  await sandbox.stop();
});
/** Each group points the handlers at the sandbox (the app exists once the file's first hook has run). */
const useSandbox = () => before(() => app.setEnv({ ALIPAY_GATEWAY_URL: sandbox.gatewayUrl }));

/** POST /payments, then the buyer opens the cashier (the trade now exists at Alipay). */
async function checkout(service: ServiceName = 'create_direct_pay_by_user'): Promise<{ outTradeNo: string; tradeNo: string; paidFee: string }> {
  const example = paymentExample(service);
  const created = await postPayment(example.body);
  assert.equal(created.status, 201, created.body);
  const res = await fetch(created.json.gatewayUrl, { redirect: 'manual' });
  const tradeNo = /\/cashier\/(\d+)$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, `the sandbox did not open a cashier: ${res.status} ${await res.text()}`);
  return { outTradeNo: example.body.outTradeNo as string, tradeNo, paidFee: example.paidFee };
}

const status = async (outTradeNo: string) => (await getPayment(outTradeNo)).json;

describe('reconciliation', () => {
  useSandbox();
  test('a paid order whose every notification was lost is recovered from single_trade_query', async () => {
    const { outTradeNo, tradeNo, paidFee } = await checkout();
    await sandbox.act(tradeNo, 'pay');
    assert.equal((await status(outTradeNo)).status, 'CREATED', 'the notification never arrived');

    const run = await reconcileHandler();
    assert.ok(run.advanced >= 1, JSON.stringify(run));
    const after1 = await status(outTradeNo);
    assert.equal(after1.status, 'TRADE_SUCCESS');
    assert.equal(after1.tradeNo, tradeNo);
    assert.equal(after1.paidFee, paidFee);
    const records = (await app.notifications()).filter((r) => r.outTradeNo === outTradeNo);
    assert.deepEqual(records.map((r) => [r.source, r.outcome]), [['query', 'applied']]);
  });

  test('an order past its it_b_pay deadline is closed with close_trade; the buyer can no longer pay it', async () => {
    app.setEnv({ RECONCILE_CLOSE_AFTER_MINUTES: '1' });
    try {
      const { outTradeNo, tradeNo } = await checkout('create_digital_goods_trade_p');
      // Make the order look two hours old: it is past the (default) deadline now.
      await app.ageOrder(outTradeNo, 2 * 60);
      await reconcileHandler();
      assert.equal((await status(outTradeNo)).status, 'TRADE_CLOSED');
      assert.equal(sandbox.trade(TEST_PARTNER, outTradeNo)?.status, 'TRADE_CLOSED');
      await assert.rejects(sandbox.act(tradeNo, 'pay'));
    } finally {
      app.setEnv({ RECONCILE_CLOSE_AFTER_MINUTES: undefined });
    }
  });
});

describe('POST /payments/{outTradeNo}/close', () => {
  useSandbox();
  test('an unpaid order is closed at Alipay and here; closing it again is the same answer', async () => {
    const { outTradeNo } = await checkout();
    const res = await postClose(outTradeNo);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.status, 'TRADE_CLOSED');
    assert.equal(sandbox.trade(TEST_PARTNER, outTradeNo)?.status, 'TRADE_CLOSED');
    assert.equal((await postClose(outTradeNo)).status, 200);
  });

  test('an order the buyer never took to the cashier (no trade at Alipay) is closed here', async () => {
    const example = paymentExample('create_direct_pay_by_user');
    assert.equal((await postPayment(example.body)).status, 201);
    const res = await postClose(example.body.outTradeNo as string);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.status, 'TRADE_CLOSED');
  });

  test('a paid order is not closed: 409, refund it instead', async () => {
    const { outTradeNo, tradeNo } = await checkout();
    await sandbox.act(tradeNo, 'pay');
    await reconcileHandler();
    const res = await postClose(outTradeNo);
    assert.equal(res.status, 409, res.body);
    assert.equal(res.json.error.code, 'NOT_CLOSABLE');
    assert.match(res.json.error.message, /refund/);
  });

  test('an unknown order: 404', async () => {
    assert.equal((await postClose('NO-SUCH-ORDER')).status, 404);
  });
});

describe('POST /payments/{outTradeNo}/ship', () => {
  useSandbox();
  test('an escrow trade paid into escrow is shipped: Alipay moves to WAIT_BUYER_CONFIRM_GOODS; the same shipment again is a no-op', async () => {
    const { outTradeNo, tradeNo } = await checkout('create_partner_trade_by_buyer');
    await sandbox.act(tradeNo, 'pay');
    await reconcileHandler();
    assert.equal((await status(outTradeNo)).status, 'WAIT_SELLER_SEND_GOODS');

    const shipment = { logisticsName: '顺丰速运', invoiceNo: 'SF1234567890', transportType: 'EXPRESS' };
    const res = await postShip(outTradeNo, shipment);
    assert.equal(res.status, 202, res.body);
    assert.equal(res.json.shipment.invoiceNo, 'SF1234567890');
    assert.equal(res.json.status, 'WAIT_SELLER_SEND_GOODS', 'the order moves when Alipay notifies');
    assert.equal(sandbox.trade(TEST_PARTNER, outTradeNo)?.status, 'WAIT_BUYER_CONFIRM_GOODS');
    assert.equal((await postShip(outTradeNo, shipment)).status, 202);
    const other = await postShip(outTradeNo, { ...shipment, invoiceNo: 'SF999' });
    assert.equal(other.status, 409);
    assert.equal(other.json.error.code, 'ALREADY_SHIPPED');
  });

  test('an instant order, an unpaid escrow order and bad shipping details are refused, naming why', async () => {
    const instant = await checkout();
    await sandbox.act(instant.tradeNo, 'pay');
    await reconcileHandler();
    const shipment = { logisticsName: 'EMS', invoiceNo: 'E1', transportType: 'EMS' };
    assert.equal((await postShip(instant.outTradeNo, shipment)).json.error.code, 'NOT_SHIPPABLE');
    const unpaid = await checkout('trade_create_by_buyer');
    assert.equal((await postShip(unpaid.outTradeNo, shipment)).json.error.code, 'NOT_SHIPPABLE');
    const bad = await postShip(unpaid.outTradeNo, { ...shipment, transportType: 'PIGEON' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'transportType');
  });
});

describe('POST /payments/{outTradeNo}/refunds', () => {
  useSandbox();
  /** An instant order paid 88.88 and known to be paid here. */
  async function paid(): Promise<string> {
    const { outTradeNo, tradeNo } = await checkout();
    await sandbox.act(tradeNo, 'pay');
    await reconcileHandler();
    assert.equal((await status(outTradeNo)).status, 'TRADE_SUCCESS');
    return outTradeNo;
  }

  test('pwd: the refund enters the ledger with its own batch_no and the answer is the page the seller confirms it on', async () => {
    const outTradeNo = await paid();
    const res = await postRefund(outTradeNo, { amount: '10.00', reason: '质量问题 quality', requestId: 'r-1', mode: 'pwd' });
    assert.equal(res.status, 201, res.body);
    assert.match(res.json.refund.batchNo, /^\d{8}\d{8}$/);
    assert.equal(res.json.refund.status, 'PENDING');
    assert.equal(res.json.order.refundableFee, '78.88');
    const confirm = new URL(res.json.confirm.url);
    assert.equal(confirm.searchParams.get('service'), 'refund_fastpay_by_platform_pwd');
    assert.equal(confirm.searchParams.get('batch_no'), res.json.refund.batchNo);
    assert.match(confirm.searchParams.get('detail_data')!, /\^10\.00\^质量问题 quality$/);

    // The same requestId again: the same refund, not a second one.
    const again = await postRefund(outTradeNo, { amount: '10.00', reason: '质量问题 quality', requestId: 'r-1', mode: 'pwd' });
    assert.equal(again.status, 200);
    assert.equal(again.json.refund.batchNo, res.json.refund.batchNo);
    assert.equal((await status(outTradeNo)).refunds.length, 1);
    const reused = await postRefund(outTradeNo, { amount: '20.00', reason: 'other', requestId: 'r-1', mode: 'pwd' });
    assert.equal(reused.status, 409);
    assert.equal(reused.json.error.code, 'REQUEST_ID_REUSED');
  });

  test('refunds never exceed what was paid, even when asked for at once', async () => {
    const outTradeNo = await paid();
    const asks = Array.from({ length: 6 }, (_, i) => postRefund(outTradeNo, { amount: '30.00', reason: 'partial', requestId: `c-${i}`, mode: 'pwd' }));
    const answers = await Promise.all(asks);
    const accepted = answers.filter((a) => a.status === 201);
    assert.equal(accepted.length, 2, answers.map((a) => `${a.status} ${a.json?.error?.code ?? ''}`).join(', '));
    for (const a of answers.filter((x) => x.status !== 201)) assert.equal(a.json.error.code, 'EXCEEDS_REFUNDABLE');
    const order = await status(outTradeNo);
    assert.equal(order.refunds.length, 2);
    assert.equal(order.refundableFee, '28.88');
    assert.equal(new Set(order.refunds.map((r: { batchNo: string }) => r.batchNo)).size, 2, 'every refund has its own batch_no');
  });

  test('an unpaid order, an amount over what is left and bad input are refused with the field named', async () => {
    const { outTradeNo } = await checkout();
    const unpaid = await postRefund(outTradeNo, { amount: '1.00', reason: 'x' });
    assert.equal(unpaid.status, 409);
    assert.equal(unpaid.json.error.code, 'NOT_REFUNDABLE');
    const paidOrder = await paid();
    const over = await postRefund(paidOrder, { amount: '88.89', reason: 'x' });
    assert.equal(over.json.error.code, 'EXCEEDS_REFUNDABLE');
    for (const [body, field] of [
      [{ amount: 10, reason: 'x' }, 'amount'],
      [{ amount: '1.00', reason: 'a#b' }, 'reason'],
      [{ amount: '1.00', reason: 'x', mode: 'fast' }, 'mode'],
      [{ amount: '1.00', reason: 'x', extra: 1 }, 'extra'],
    ] as const) {
      const res = await postRefund(paidOrder, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.field, field);
    }
    assert.equal((await status(paidOrder)).refunds, undefined, 'nothing entered the ledger');
  });
});
