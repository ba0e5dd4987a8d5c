// GET /alipay/return through its Lambda entry point: the buyer's page after paying, verified like a notification.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { notification, returnQuery } from '../support/alipay-messages.ts';
import { getReturn, postNotify } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { createOrder } from '../support/payments.ts';

const { app } = useTestApp();

const TEN_MINUTES_AGO = () => new Date(Date.now() - 10 * 60_000);

/** The result the page shows (its data-result attribute), after checking it is an HTML page. */
function pageResult(res: HttpAnswer): string {
  assert.match(res.headers['content-type']!, /^text\/html; charset=utf-8/);
  const m = /data-result="([a-z]+)"/.exec(res.body);
  assert.ok(m, `not a result page: ${res.body.slice(0, 200)}`);
  return m[1]!;
}

describe('the result page', () => {
  test('a fresh, genuine return marks the order paid and says so, with the order number and amount', async () => {
    const order = await createOrder();
    const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    const res = await getReturn(query);
    assert.equal(res.status, 200);
    assert.equal(pageResult(res), 'paid');
    assert.ok(res.body.includes(order.outTradeNo));
    assert.ok(res.body.includes('¥88.88'));
    assert.ok(res.body.includes('支付成功'));
    assert.equal(app.gateway.callCount(query.notifyId), 1);
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'TRADE_SUCCESS');
    assert.deepEqual(stored!.history.map((h) => [h.source, h.eventId]), [['return', query.notifyId]]);

    // The buyer reloads the page: same answer, applied once, Alipay not asked again.
    const reload = await getReturn(query);
    assert.equal(pageResult(reload), 'paid');
    assert.equal(app.gateway.callCount(query.notifyId), 1);
    assert.deepEqual(await app.getOrder(order.outTradeNo), stored);

    // The async notification that follows finds the order already paid: success, nothing changes.
    const notify = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assert.equal((await postNotify(notify)).body, 'success');
    assert.equal((await app.getOrder(order.outTradeNo))!.history.length, 1);
  });

  test('a GBK return for a GBK order (Chinese subject in GBK in the query string)', async () => {
    const order = await createOrder('create_digital_goods_trade_p', { charset: 'gbk' });
    const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, service: 'create_digital_goods_trade_p' }, { charset: 'gbk' });
    const res = await getReturn(query);
    assert.equal(pageResult(res), 'paid');
    assert.ok(res.body.includes('¥29.70'));
  });

  test('a tampered return: 400 "could not verify", order unchanged, Alipay not asked', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' }, { tamper: { total_fee: order.paidFee } });
    const res = await getReturn(query);
    assert.equal(res.status, 400);
    assert.equal(pageResult(res), 'unverified');
    assert.ok(res.body.includes('Could not verify'));
    assert.ok(res.body.includes(order.outTradeNo), 'the page still names the order the link claims');
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
    assert.equal(app.gateway.callCount(query.notifyId), 0);
    assert.deepEqual(await app.notifications(query.notifyId), [], 'a message that fails its signature writes nothing');
  });

  test('no query string at all: 400 "could not verify"', async () => {
    const res = await getReturn('');
    assert.equal(res.status, 400);
    assert.equal(pageResult(res), 'unverified');
  });

  test('notify_verify says false: the order is not touched and the page says waiting', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    app.gateway.answer(query.notifyId, 'false');
    const res = await getReturn(query);
    assert.equal(res.status, 200);
    assert.equal(pageResult(res), 'waiting');
    assert.ok(res.body.includes(order.outTradeNo));
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
  });

  test('notify_verify times out: the page says waiting and nothing is written', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    app.gateway.answer(query.notifyId, 'hang');
    const res = await getReturn(query);
    assert.equal(pageResult(res), 'waiting');
    // The page still names the order it is about, and the amount the buyer is waiting for.
    assert.ok(res.body.includes(order.outTradeNo), 'the order number is shown');
    assert.ok(res.body.includes('¥88.88'), 'the amount is shown');
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
    assert.deepEqual(await app.notifications(query.notifyId), []);
  });

  test('a return too old for notify_verify: nothing applied, Alipay not asked, the stored status shown', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const old = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, notifyTime: TEN_MINUTES_AGO() });
    assert.equal(pageResult(await getReturn(old)), 'waiting');
    assert.equal(app.gateway.callCount(old.notifyId), 0);
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);

    // Once the async notification has arrived, the same old link shows the order paid.
    assert.equal((await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }))).body, 'success');
    assert.equal(pageResult(await getReturn(old)), 'paid');
  });

  test('a closed trade shows "closed" (closed without payment)', async () => {
    const order = await createOrder();
    assert.equal((await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_CLOSED', totalFee: order.paidFee }))).body, 'success');
    const old = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, notifyTime: TEN_MINUTES_AGO() });
    const res = await getReturn(old);
    assert.equal(pageResult(res), 'closed');
    assert.ok(res.body.includes(order.outTradeNo));
  });

  test('a genuine return for an order we never created: "unknown", not "waiting"', async () => {
    const res = await getReturn(returnQuery({ outTradeNo: 'never-created-1', tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' }));
    assert.equal(pageResult(res), 'unknown');
    assert.ok(res.body.includes('Order not found'));
  });

  test('a genuine return with a wrong amount does not mark the order paid', async () => {
    const order = await createOrder();
    const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' });
    assert.equal(pageResult(await getReturn(query)), 'waiting');
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'CREATED');
    assert.deepEqual(stored!.anomalies.map((a) => a.code), ['amount_mismatch']);
  });
});

describe('with RETURN_RESULT_URL: 302 to the storefront', () => {
  before(() => app.setEnv({ RETURN_RESULT_URL: 'https://shop.example.com/checkout/result?from=alipay' }));
  after(() => app.setEnv({ RETURN_RESULT_URL: undefined }));

  test('a genuine return redirects with outTradeNo and result=paid', async () => {
    const order = await createOrder();
    const res = await getReturn(returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }));
    assert.equal(res.status, 302);
    const location = new URL(res.headers.location!);
    assert.equal(location.origin + location.pathname, 'https://shop.example.com/checkout/result');
    assert.equal(location.searchParams.get('from'), 'alipay');
    assert.equal(location.searchParams.get('outTradeNo'), order.outTradeNo);
    assert.equal(location.searchParams.get('result'), 'paid');
    assert.equal((await app.getOrder(order.outTradeNo))!.status, 'TRADE_SUCCESS');
  });

  test('a tampered return redirects with result=unverified and changes nothing', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const res = await getReturn(returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }, { tamper: { trade_status: 'TRADE_FINISHED' } }));
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.location!).searchParams.get('result'), 'unverified');
    assert.equal(new URL(res.headers.location!).searchParams.get('outTradeNo'), order.outTradeNo, 'the shop can still name the order');
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
  });
});
