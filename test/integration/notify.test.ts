// POST /alipay/notify through its Lambda entry point: what each notification does to the order and what Alipay is answered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeForm } from '../../shared/alipay/form.ts';
import { notification, signMessage, TEST_KEY, tradeFields } from '../support/alipay-messages.ts';
import { getPayment, postNotify } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { createOrder } from '../support/payments.ts';

const { app, logs } = useTestApp();

function assertAnswer(res: HttpAnswer, body: 'success' | 'fail'): void {
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.body, body);
}

/** The order as the storefront sees it must not have moved. */
async function assertUnchanged(outTradeNo: string, before: unknown): Promise<void> {
  assert.deepEqual(await app.getOrder(outTradeNo), before);
}

describe('duplicates', () => {
  test('the same notification twice: both answered success, the second without asking notify_verify, applied once', async () => {
    const order = await createOrder();
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assertAnswer(await postNotify(message), 'success');
    const afterFirst = await app.getOrder(order.outTradeNo);
    assertAnswer(await postNotify(message), 'success');
    assertAnswer(await postNotify(message, { base64: false }), 'success');
    assert.equal(app.gateway.callCount(message.notifyId), 1);
    await assertUnchanged(order.outTradeNo, afterFirst);
    assert.equal(afterFirst!.version, 2);
    assert.equal(afterFirst!.history.length, 1);
    const records = await app.notifications(message.notifyId);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.outcome, 'applied');
    assert.deepEqual(Buffer.from(records[0]!.raw as Uint8Array), message.bytes, 'the raw body is kept byte for byte');
  });

  test('a different notification repeating what the order already says: success, recorded as duplicate, order unchanged', async () => {
    const order = await createOrder();
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee })), 'success');
    const paid = await app.getOrder(order.outTradeNo);
    const again = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assertAnswer(await postNotify(again), 'success');
    await assertUnchanged(order.outTradeNo, paid);
    assert.equal((await app.notifications(again.notifyId))[0]!.outcome, 'duplicate');
  });

  test('a late WAIT_BUYER_PAY after TRADE_SUCCESS is stale: success, status stays TRADE_SUCCESS', async () => {
    const order = await createOrder();
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee })), 'success');
    const paid = await app.getOrder(order.outTradeNo);
    const late = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'WAIT_BUYER_PAY', totalFee: order.paidFee });
    assertAnswer(await postNotify(late), 'success');
    await assertUnchanged(order.outTradeNo, paid);
    assert.equal((await app.notifications(late.notifyId))[0]!.outcome, 'stale');
    assert.equal((await getPayment(order.outTradeNo)).json.status, 'TRADE_SUCCESS');
  });
});

describe('authentic but anomalous: recorded, order not paid, answered success', () => {
  test('total_fee differs from the order amount (signed by Alipay)', async () => {
    const order = await createOrder();
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' });
    assertAnswer(await postNotify(message), 'success');
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'CREATED');
    assert.equal(stored!.paidFen, undefined);
    assert.deepEqual(stored!.anomalies.map((a) => [a.code, a.eventId]), [['amount_mismatch', message.notifyId]]);
    assert.equal((await app.notifications(message.notifyId))[0]!.outcome, 'anomaly');
    const status = await getPayment(order.outTradeNo);
    assert.equal(status.json.status, 'CREATED');
    assert.equal(status.json.anomalies[0].code, 'amount_mismatch');
    assert.match(status.json.anomalies[0].detail, /0\.01/);
  });

  test('total_fee missing', async () => {
    const order = await createOrder();
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: null })), 'success');
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'CREATED');
    assert.deepEqual(stored!.anomalies.map((a) => a.code), ['amount_missing']);
  });

  test('seller_id is another account', async () => {
    const order = await createOrder();
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, sellerId: '2088999999999999' });
    assertAnswer(await postNotify(message), 'success');
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'CREATED');
    assert.deepEqual(stored!.anomalies.map((a) => a.code), ['seller_mismatch']);
  });

  test('an out_trade_no we never created: success, the notification recorded as an anomaly', async () => {
    const message = notification({ outTradeNo: 'NO-SUCH-ORDER-1', tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' });
    assertAnswer(await postNotify(message), 'success');
    const records = await app.notifications(message.notifyId);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.outcome, 'anomaly');
    assert.match(String(records[0]!.detail), /unknown_order/);
    assert.equal(await app.getOrder('NO-SUCH-ORDER-1'), undefined);
    assert.equal((await getPayment('NO-SUCH-ORDER-1')).status, 404);
  });

  test('a coupon: total_fee + |discount| equals the order amount, so the order is paid', async () => {
    const order = await createOrder(); // 88.88
    const message = notification({
      outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '78.88', extra: { use_coupon: 'Y', discount: '-10.00' },
    });
    assertAnswer(await postNotify(message), 'success');
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'TRADE_SUCCESS');
    assert.deepEqual(stored!.anomalies, []);
  });

  test('a discount without use_coupon=Y does not excuse a short total_fee', async () => {
    const order = await createOrder();
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '78.88', extra: { discount: '-10.00' } });
    assertAnswer(await postNotify(message), 'success');
    const stored = await app.getOrder(order.outTradeNo);
    assert.equal(stored!.status, 'CREATED');
    assert.deepEqual(stored!.anomalies.map((a) => a.code), ['amount_mismatch']);
  });
});

describe('not from Alipay: fail, nothing written, order unchanged, notify_verify not asked', () => {
  const cases: [string, (outTradeNo: string, fee: string) => Buffer][] = [
    ['total_fee changed after signing', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' }, { tamper: { total_fee: fee } }).bytes],
    ['signed with another key', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { key: 'otherkeyotherkeyotherkeyotherkey' }).bytes],
    ['a sign that is not MD5 hex', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { sign: 'x'.repeat(32) } }).bytes],
    ['sign_type RSA', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { signType: 'RSA' }).bytes],
    ['sign_type md5 (lower case)', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { signType: 'md5' }).bytes],
    ['no sign at all', (o, fee) => Buffer.from(encodeForm(Object.entries(tradeFields({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee })), 'utf-8'))],
  ];
  for (const [what, build] of cases) {
    test(what, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const items = (await app.notifications()).length;
      const body = build(order.outTradeNo, order.paidFee);
      const calls = app.gateway.calls.length;
      assertAnswer(await postNotify(body), 'fail');
      await assertUnchanged(order.outTradeNo, before);
      assert.equal(app.gateway.calls.length, calls);
      assert.equal((await app.notifications()).length, items, 'a message that fails its signature writes nothing durable');
    });
  }

  test('the refusal is logged in one bounded line that names the reason, never the key', async () => {
    const order = await createOrder();
    const from = logs.lines.length;
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }, { key: 'otherkeyotherkeyotherkeyotherkey' })), 'fail');
    const lines = logs.lines.slice(from).map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.msg, l.reason]), [['notify refused', 'mismatch']]);
  });

  test('a forged notification does not block the genuine one with the same notify_id', async () => {
    const order = await createOrder();
    const genuine = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    const { sign: _sign, sign_type: _signType, ...fields } = genuine.fields;
    const forged = signMessage({ ...fields, total_fee: '0.01' }, { key: 'otherkeyotherkeyotherkeyotherkey' });
    assertAnswer(await postNotify(forged), 'fail');
    assertAnswer(await postNotify(genuine), 'success');
    assert.equal((await app.getOrder(order.outTradeNo))!.status, 'TRADE_SUCCESS');
  });
});

describe('notify_verify', () => {
  for (const answer of ['false', 'invalid'] as const) {
    test(`answers ${answer}: fail, recorded as rejected, order unchanged`, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
      app.gateway.answer(message.notifyId, answer);
      assertAnswer(await postNotify(message), 'fail');
      await assertUnchanged(order.outTradeNo, before);
      const records = await app.notifications(message.notifyId);
      assert.deepEqual(records.map((r) => r.outcome), [`rejected:notify_verify_${answer}`]);
      assert.equal(app.gateway.callCount(message.notifyId), 1);
    });
  }

  for (const [what, behaviour] of [
    ['answers garbage', { text: '<html>502 Bad Gateway</html>' }],
    ['answers HTTP 500', { status: 500 }],
    ['never answers (timeout)', 'hang'],
  ] as const) {
    test(`${what}: fail and nothing written; Alipay's retry succeeds once the gateway is healthy`, { timeout: 120_000 }, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
      app.gateway.answer(message.notifyId, behaviour);
      if (behaviour === 'hang') {
        // notify_verify's own timeout (not the request's deadline, set far beyond the test's timeout) must end the wait.
        app.setEnv({ NOTIFY_VERIFY_TIMEOUT_MS: '300', HANDLER_DEADLINE_MS: '600000' });
      }
      try {
        assertAnswer(await postNotify(message), 'fail');
      } finally {
        app.setEnv({ NOTIFY_VERIFY_TIMEOUT_MS: app.env.NOTIFY_VERIFY_TIMEOUT_MS, HANDLER_DEADLINE_MS: app.env.HANDLER_DEADLINE_MS });
      }
      await assertUnchanged(order.outTradeNo, before);
      assert.deepEqual(await app.notifications(message.notifyId), []);

      app.gateway.answer(message.notifyId, 'true');
      assertAnswer(await postNotify(message), 'success');
      assert.equal((await app.getOrder(order.outTradeNo))!.status, 'TRADE_SUCCESS');
      assert.equal(app.gateway.callCount(message.notifyId), 2);
    });
  }

  test('a notify_id with "/", "+" and "%" reaches the gateway exactly as received, encoded once', async () => {
    const order = await createOrder();
    const notifyId = 'RqPnCoPT3K9%2Fvwbh3I+5a/b=c';
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, notifyId });
    assertAnswer(await postNotify(message), 'success');
    assert.equal(app.gateway.callCount(notifyId), 1);
    assert.equal(app.gateway.badRequests.length, 0);
  });
});

describe('bodies', () => {
  test('a plain (not base64) body and a base64 one are the same notification', async () => {
    const order = await createOrder('create_digital_goods_trade_p', { charset: 'gbk' });
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }, { charset: 'gbk' });
    assertAnswer(await postNotify(message, { base64: false, charset: 'gbk' }), 'success');
    assert.equal((await app.getOrder(order.outTradeNo))!.status, 'TRADE_SUCCESS');
    assertAnswer(await postNotify(message, { base64: true, charset: 'gbk' }), 'success');
    assert.equal(app.gateway.callCount(message.notifyId), 1);
  });

  test('signed but without a notify_id (Alipay cannot confirm it): recorded as an anomaly, answered success so it stops', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const message = signMessage(tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, extra: { notify_id: undefined } }));
    const calls = app.gateway.calls.length;
    assertAnswer(await postNotify(message), 'success');
    assertAnswer(await postNotify(message), 'success');
    await assertUnchanged(order.outTradeNo, before);
    assert.equal(app.gateway.calls.length, calls);
    const records = (await app.notifications()).filter((r) => message.bytes.equals(Buffer.from(r.raw as Uint8Array)));
    assert.deepEqual(records.map((r) => r.outcome), ['anomaly'], 'recorded once, whatever the resends');
    assert.match(String(records[0]!.detail), /no notify_id/);
  });

  test('a body over 16 KB: fail, nothing recorded, notify_verify not asked', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, extra: { body: 'x'.repeat(16 * 1024) } });
    assert.ok(message.bytes.length > 16 * 1024);
    assertAnswer(await postNotify(message), 'fail');
    await assertUnchanged(order.outTradeNo, before);
    assert.equal(app.gateway.callCount(message.notifyId), 0);
    assert.deepEqual(await app.notifications(message.notifyId), []);
  });

  test('a body just under 16 KB is read', async () => {
    const order = await createOrder();
    const fields = tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    const size = signMessage({ ...fields, body: '' }).bytes.length;
    const message = signMessage({ ...fields, body: 'y'.repeat(16 * 1024 - size - 'body='.length - 1) });
    assert.ok(message.bytes.length <= 16 * 1024, String(message.bytes.length));
    assertAnswer(await postNotify(message), 'success');
  });

  for (const [what, body] of [
    ['a malformed percent-escape (%ZZ)', (o: string) => `notify_id=abc&out_trade_no=${o}&trade_status=TRADE_SUCCESS&subject=%ZZ&sign=${'0'.repeat(32)}&sign_type=MD5`],
    ['a parameter given twice', (o: string) => `notify_id=abc&out_trade_no=${o}&out_trade_no=other&sign=${'0'.repeat(32)}&sign_type=MD5`],
    ['an empty body', () => ''],
    ['JSON instead of a form', (o: string) => JSON.stringify({ out_trade_no: o, trade_status: 'TRADE_SUCCESS' })],
  ] as const) {
    test(`${what}: fail, order unchanged`, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      assertAnswer(await postNotify(body(order.outTradeNo)), 'fail');
      await assertUnchanged(order.outTradeNo, before);
    });
  }
});

describe('refunds and other fields', () => {
  test('a refund notification on a paid order records the refund status', async () => {
    const order = await createOrder();
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee })), 'success');
    const refund = notification({
      outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee,
      extra: { refund_status: 'REFUND_SUCCESS', gmt_refund: '2024-05-02 10:00:00' },
    });
    assertAnswer(await postNotify(refund), 'success');
    const status = await getPayment(order.outTradeNo);
    assert.equal(status.json.status, 'TRADE_SUCCESS');
    assert.equal(status.json.refundStatus, 'REFUND_SUCCESS');
  });

  test('the key never shows up in the logs', async () => {
    assert.ok(logs.lines.length > 0);
    for (const line of logs.lines) assert.ok(!line.includes(TEST_KEY), line);
  });
});
