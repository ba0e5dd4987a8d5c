// GET /payments/{outTradeNo} through its Lambda entry point: what the storefront learns about an order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { notification, tradeNoFor } from '../support/alipay-messages.ts';
import { getPayment, postNotify } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { createOrder } from '../support/payments.ts';

const { app } = useTestApp();

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const CONTRACT_KEYS = ['outTradeNo', 'service', 'status', 'totalFee', 'tradeNo', 'refundStatus', 'anomalies', 'updatedAt'];

describe('GET /payments/{outTradeNo}', () => {
  test('a new order: CREATED, its amount, no trade number, no anomalies', async () => {
    const order = await createOrder();
    const res = await getPayment(order.outTradeNo);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /^application\/json/);
    const { updatedAt, ...rest } = res.json;
    assert.deepEqual(rest, { outTradeNo: order.outTradeNo, service: 'create_direct_pay_by_user', status: 'CREATED', totalFee: '88.88', anomalies: [] });
    assert.match(updatedAt, ISO_TIME);
  });

  test('a paid order: the Alipay status, trade number and a later updatedAt', async () => {
    const order = await createOrder('create_partner_trade_by_buyer');
    const created = (await getPayment(order.outTradeNo)).json;
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'WAIT_SELLER_SEND_GOODS', totalFee: order.paidFee }))).body, 'success');
    const res = await getPayment(order.outTradeNo);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'WAIT_SELLER_SEND_GOODS');
    assert.equal(res.json.totalFee, '210.00');
    assert.equal(res.json.tradeNo, tradeNoFor(order.outTradeNo));
    assert.ok(res.json.updatedAt > created.updatedAt);
    for (const key of Object.keys(res.json)) assert.ok(CONTRACT_KEYS.includes(key) || ['paidFee', 'refundedFee', 'refundableFee'].includes(key), `unexpected key ${key}`);
  });

  test('a donation: no amount until paid, then the amount the donor paid', async () => {
    const order = await createOrder('create_donate_trade_p');
    assert.equal((await getPayment(order.outTradeNo)).json.totalFee, null);
    assert.equal((await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '66.00' }))).body, 'success');
    const res = await getPayment(order.outTradeNo);
    assert.equal(res.json.status, 'TRADE_SUCCESS');
    assert.equal(res.json.totalFee, '66.00');
  });

  test('anomalies are listed with code, detail and time; the status stays CREATED', async () => {
    const order = await createOrder();
    assert.equal((await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' }))).body, 'success');
    const res = await getPayment(order.outTradeNo);
    assert.equal(res.json.status, 'CREATED');
    assert.equal(res.json.anomalies.length, 1);
    const [anomaly] = res.json.anomalies;
    assert.deepEqual(Object.keys(anomaly).sort(), ['at', 'code', 'detail']);
    assert.equal(anomaly.code, 'amount_mismatch');
    assert.match(anomaly.at, ISO_TIME);
  });

  test('a refund shows as refundStatus', async () => {
    const order = await createOrder();
    const paid = { outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee };
    assert.equal((await postNotify(notification(paid))).body, 'success');
    assert.equal((await postNotify(notification({ ...paid, extra: { refund_status: 'WAIT_SELLER_AGREE', gmt_refund: '2024-05-02 10:00:00' } }))).body, 'success');
    assert.equal((await getPayment(order.outTradeNo)).json.refundStatus, 'WAIT_SELLER_AGREE');
  });

  test('an unknown order: 404', async () => {
    const res = await getPayment('NEVER-CREATED-42');
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'ORDER_NOT_FOUND');
    assert.equal(res.json.error.field, 'outTradeNo');
  });

  test('an outTradeNo that cannot exist: 400', async () => {
    const res = await getPayment('has space');
    assert.equal(res.status, 400);
    assert.equal(res.json.error.field, 'outTradeNo');
  });

  test('without the bearer token: 401, whether or not the order exists', async () => {
    const order = await createOrder();
    for (const token of [null, 'not-the-storefront-token-at-all']) {
      for (const id of [order.outTradeNo, 'NEVER-CREATED-43']) {
        const res = await getPayment(id, { token });
        assert.equal(res.status, 401, `${token} ${id}`);
        assert.equal(res.json.error.code, 'UNAUTHORIZED');
        assert.ok(!res.body.includes(order.outTradeNo));
      }
    }
  });
});
