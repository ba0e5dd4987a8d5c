// Regression tests for the money path of notify/return (D2, D5, D6, D9): what a forged, a second-trade, an impossible-status
// or a concurrently repeated message does to the order, to the Notifications table, and what Alipay / the buyer is answered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeForm } from '../../shared/alipay/form.ts';
import { notification, returnQuery, signMessage, tradeFields } from '../support/alipay-messages.ts';
import { getPayment, getReturn, postNotify } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { createOrder, newOutTradeNo } from '../support/payments.ts';

const { app } = useTestApp();

const OTHER_KEY = 'otherkeyotherkeyotherkeyotherkey';

function assertAnswer(res: HttpAnswer, body: 'success' | 'fail', what = ''): void {
  assert.equal(res.status, 200, what);
  assert.equal(res.body, body, `${what}: Alipay was answered ${JSON.stringify(res.body)}`);
}

/** The result the handler's own return page shows (its data-result attribute). */
function pageResult(res: HttpAnswer): string {
  const m = /data-result="([a-z]+)"/.exec(res.body);
  assert.ok(m, `not a result page: ${res.body.slice(0, 200)}`);
  return m[1]!;
}

const countNotifications = async (): Promise<number> => (await app.notifications()).length;

/** A genuine notification's fields with sign/sign_type, form-encoded as given (no re-signing). */
const encode = (fields: Record<string, string>): Buffer => Buffer.from(encodeForm(Object.entries(fields), 'utf-8'), 'latin1');

function without(fields: Record<string, string>, ...names: string[]): Record<string, string> {
  const copy = { ...fields };
  for (const n of names) delete copy[n];
  return copy;
}

describe('D2: a message whose signature does not verify writes nothing durable', () => {
  type Forge = (outTradeNo: string, fee: string) => Buffer | string;
  const paid = (o: string, fee: string, extra: Record<string, string | undefined> = {}) =>
    tradeFields({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee, extra });
  const forgeries: [string, Forge][] = [
    ['total_fee changed after signing', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' }, { tamper: { total_fee: fee } }).bytes],
    ['trade_status changed after signing', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'WAIT_BUYER_PAY', totalFee: fee }, { tamper: { trade_status: 'TRADE_SUCCESS' } }).bytes],
    ['out_trade_no changed after signing', (o, fee) => notification({ outTradeNo: newOutTradeNo('X'), tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { out_trade_no: o } }).bytes],
    ['notify_id changed after signing', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { notify_id: 'f'.repeat(34) } }).bytes],
    ['a field added after signing', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { refund_status: 'REFUND_SUCCESS' } }).bytes],
    ['signed with another key', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { key: OTHER_KEY }).bytes],
    ['the sign of another genuine message', (o, fee) => {
      const other = notification({ outTradeNo: o, tradeStatus: 'WAIT_BUYER_PAY', totalFee: fee });
      return notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { sign: other.fields.sign! } }).bytes;
    }],
    ['a sign that is not hex', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { sign: 'x'.repeat(32) } }).bytes],
    ['the right sign in upper case', (o, fee) => {
      const m = notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee });
      return encode({ ...m.fields, sign: m.fields.sign!.toUpperCase() });
    }],
    ['a sign of 31 characters', (o, fee) => {
      const m = notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee });
      return encode({ ...m.fields, sign: m.fields.sign!.slice(1) });
    }],
    ['an empty sign', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { sign: '' } }).bytes],
    ['no sign at all', (o, fee) => encode(paid(o, fee))],
    ['sign_type RSA', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { signType: 'RSA' }).bytes],
    ['sign_type md5 (lower case)', (o, fee) => notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { signType: 'md5' }).bytes],
    ['no sign_type', (o, fee) => encode(without(notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }).fields, 'sign_type'))],
    ['no notify_id and signed with another key', (o, fee) => signMessage(paid(o, fee, { notify_id: undefined }), { key: OTHER_KEY }).bytes],
    ['a malformed percent-escape (%ZZ)', (o) => `notify_id=abc&out_trade_no=${o}&trade_status=TRADE_SUCCESS&subject=%ZZ&sign=${'0'.repeat(32)}&sign_type=MD5`],
    ['a parameter given twice', (o, fee) => `${notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }).encoded}&out_trade_no=${o}`],
    ['a parameter with an empty name', (o, fee) => `=x&${notification({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }).encoded}`],
    ['JSON instead of a form', (o, fee) => JSON.stringify({ out_trade_no: o, trade_status: 'TRADE_SUCCESS', total_fee: fee })],
    ['an empty body', () => ''],
    ['binary garbage', () => Buffer.from([0xff, 0xfe, 0x25, 0x00, 0x26, 0x3d, 0x80])],
  ];

  for (const [what, forge] of forgeries) {
    test(`D2: forged notify, ${what} (existing order and unknown out_trade_no): fail, nothing written, notify_verify not asked`, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const unknown = newOutTradeNo('NOSUCH');
      const items = await countNotifications();
      const calls = app.gateway.calls.length;

      assertAnswer(await postNotify(forge(order.outTradeNo, order.paidFee)), 'fail', `${what} (existing order)`);
      assertAnswer(await postNotify(forge(unknown, '1.00')), 'fail', `${what} (unknown order)`);

      assert.equal(await countNotifications(), items, `${what}: items were added to the Notifications table`);
      assert.deepEqual(await app.getOrder(order.outTradeNo), before);
      assert.equal(await app.getOrder(unknown), undefined);
      assert.equal(app.gateway.calls.length, calls, 'notify_verify was asked');
    });
  }

  test('D2: 50 forged posts at once (every forgery above, for one order) add 0 items to either table', async (t) => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const items = await countNotifications();
    const bodies = Array.from({ length: 50 }, (_, i) => forgeries[i % forgeries.length]![1](order.outTradeNo, order.paidFee));
    const answers = await Promise.all(bodies.map((b) => postNotify(b)));
    assert.deepEqual(new Set(answers.map((a) => a.body)), new Set(['fail']));
    const added = (await countNotifications()) - items;
    t.diagnostic(`items written by ${bodies.length} forged notify posts: ${added}`);
    assert.equal(added, 0);
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
  });

  const returnForgeries: [string, (outTradeNo: string, fee: string) => string][] = [
    ['total_fee changed after signing', (o, fee) => returnQuery({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' }, { tamper: { total_fee: fee } }).encoded],
    ['signed with another key', (o, fee) => returnQuery({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { key: OTHER_KEY }).encoded],
    ['no sign', (o, fee) => encodeForm(Object.entries(without(returnQuery({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }).fields, 'sign', 'sign_type')), 'utf-8')],
    ['sign_type RSA', (o, fee) => returnQuery({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { signType: 'RSA' }).encoded],
    ['a malformed sign', (o, fee) => returnQuery({ outTradeNo: o, tradeStatus: 'TRADE_SUCCESS', totalFee: fee }, { tamper: { sign: 'not-a-sign' } }).encoded],
    ['an unparseable query (%ZZ)', (o) => `out_trade_no=${o}&trade_status=TRADE_SUCCESS&subject=%ZZ&sign=${'0'.repeat(32)}&sign_type=MD5`],
  ];

  for (const [what, forge] of returnForgeries) {
    test(`D2: forged return, ${what}: the page says unverified, nothing written, notify_verify not asked`, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const items = await countNotifications();
      const calls = app.gateway.calls.length;

      const res = await getReturn(forge(order.outTradeNo, order.paidFee));
      assert.equal(res.status, 400);
      assert.equal(pageResult(res), 'unverified');

      assert.equal(await countNotifications(), items, `${what}: items were added to the Notifications table`);
      assert.deepEqual(await app.getOrder(order.outTradeNo), before);
      assert.equal(app.gateway.calls.length, calls, 'notify_verify was asked');
    });
  }
});

describe('D5: a second trade for a paid order', () => {
  test('D5: TRADE_SUCCESS with another trade_no after the order is paid: success, the order keeps trade A, anomaly trade_no_mismatch', async () => {
    const order = await createOrder();
    const tradeA = '2024050100000000000000000A01';
    const tradeB = '2024050100000000000000000B02';
    const first = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, tradeNo: tradeA });
    assertAnswer(await postNotify(first), 'success', 'first trade');
    assert.equal((await getPayment(order.outTradeNo)).json.tradeNo, tradeA);

    // The buyer paid a second time: a different Alipay trade for the same out_trade_no, correctly signed, right amount.
    const second = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, tradeNo: tradeB });
    assertAnswer(await postNotify(second), 'success', 'second trade (so Alipay stops resending)');

    const status = (await getPayment(order.outTradeNo)).json;
    assert.equal(status.status, 'TRADE_SUCCESS');
    assert.equal(status.tradeNo, tradeA);
    assert.deepEqual(status.anomalies.map((a: { code: string }) => a.code), ['trade_no_mismatch'], 'GET /payments anomalies');
    const records = await app.notifications(second.notifyId);
    assert.deepEqual(records.map((r) => r.outcome), ['anomaly'], 'the second trade\'s notification record');
  });
});

describe('D6: a status impossible for the trade kind is an anomaly, before or after payment', () => {
  test('D6: instant order at TRADE_SUCCESS receives WAIT_SELLER_SEND_GOODS (escrow-only): anomaly unexpected_status, not stale', async () => {
    const order = await createOrder('create_direct_pay_by_user');
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee })), 'success');
    const escrowOnly = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'WAIT_SELLER_SEND_GOODS', totalFee: order.paidFee });
    assertAnswer(await postNotify(escrowOnly), 'success');

    const status = (await getPayment(order.outTradeNo)).json;
    assert.equal(status.status, 'TRADE_SUCCESS');
    assert.deepEqual(status.anomalies.map((a: { code: string }) => a.code), ['unexpected_status'], 'GET /payments anomalies');
    assert.deepEqual((await app.notifications(escrowOnly.notifyId)).map((r) => r.outcome), ['anomaly']);
  });

  test('D6: the same WAIT_SELLER_SEND_GOODS before payment is already an unexpected_status anomaly', async () => {
    const order = await createOrder('create_direct_pay_by_user');
    const escrowOnly = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'WAIT_SELLER_SEND_GOODS', totalFee: order.paidFee });
    assertAnswer(await postNotify(escrowOnly), 'success');
    const status = (await getPayment(order.outTradeNo)).json;
    assert.equal(status.status, 'CREATED');
    assert.deepEqual(status.anomalies.map((a: { code: string }) => a.code), ['unexpected_status']);
    assert.deepEqual((await app.notifications(escrowOnly.notifyId)).map((r) => r.outcome), ['anomaly']);
  });

  test('D6: pure escrow (create_partner_trade_by_buyer) receives TRADE_SUCCESS: anomaly unexpected_status, order not paid', async () => {
    const order = await createOrder('create_partner_trade_by_buyer');
    const instant = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assertAnswer(await postNotify(instant), 'success');

    const status = (await getPayment(order.outTradeNo)).json;
    assert.equal(status.status, 'CREATED');
    assert.equal(status.tradeNo, undefined);
    assert.deepEqual(status.anomalies.map((a: { code: string }) => a.code), ['unexpected_status'], 'GET /payments anomalies');
    assert.deepEqual((await app.notifications(instant.notifyId)).map((r) => r.outcome), ['anomaly']);
  });

  test('D6: pure escrow at WAIT_SELLER_SEND_GOODS receives TRADE_SUCCESS: anomaly unexpected_status, status unchanged', async () => {
    const order = await createOrder('create_partner_trade_by_buyer');
    assertAnswer(await postNotify(notification({ outTradeNo: order.outTradeNo, tradeStatus: 'WAIT_SELLER_SEND_GOODS', totalFee: order.paidFee })), 'success');
    const instant = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assertAnswer(await postNotify(instant), 'success');

    const status = (await getPayment(order.outTradeNo)).json;
    assert.equal(status.status, 'WAIT_SELLER_SEND_GOODS');
    assert.deepEqual(status.anomalies.map((a: { code: string }) => a.code), ['unexpected_status'], 'GET /payments anomalies');
    assert.deepEqual((await app.notifications(instant.notifyId)).map((r) => r.outcome), ['anomaly']);
  });

  test('D6: the dual service trade_create_by_buyer may be paid as instant: TRADE_SUCCESS applies', async () => {
    const order = await createOrder('trade_create_by_buyer');
    const instant = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assertAnswer(await postNotify(instant), 'success');
    const status = (await getPayment(order.outTradeNo)).json;
    assert.equal(status.status, 'TRADE_SUCCESS');
    assert.deepEqual(status.anomalies, []);
  });
});

describe('D9: concurrent copies of one notification, with notify_verify as Alipay answers it', () => {
  test('D9: 20 orders x 5 concurrent copies each (3 rounds), resent like Alipay on fail: every copy ends success, no rejected record, each order applied once', async (t) => {
    const ORDERS = 20;
    const COPIES = 5;
    const ROUNDS = 3;

    /**
     * Alipay's notify_verify says `true` until the merchant has answered `success` for that notify_id, then `false`.
     * The fake gateway answers `true` by default; this flips it once a reply `success` is seen.
     */
    let resends = 0;
    const deliver = async (message: ReturnType<typeof notification>): Promise<HttpAnswer> => {
      // As Alipay does: anything but `success` is sent again (on a crowded machine a copy may time out and say `fail`).
      for (let send = 1; ; send++) {
        const res = await postNotify(message);
        if (res.body === 'success') app.gateway.answer(message.notifyId, 'false');
        if (res.body === 'success' || send === 4) return res;
        resends++;
      }
    };

    const failures: string[] = [];
    const perId: number[] = [];
    const ours = new Set<string>();
    for (let round = 1; round <= ROUNDS; round++) {
      const orders = await Promise.all(Array.from({ length: ORDERS }, () => createOrder()));
      const messages = orders.map((o) => notification({ outTradeNo: o.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: o.paidFee }));
      for (const o of orders) ours.add(o.outTradeNo);
      const deliveries = messages.flatMap((m) => Array.from({ length: COPIES }, () => m));
      const replies = await Promise.all(deliveries.map(deliver));

      replies.forEach((r, i) => {
        if (r.body !== 'success') failures.push(`round ${round}: ${deliveries[i]!.fields.out_trade_no} copy answered ${r.body}`);
      });
      for (const [i, o] of orders.entries()) {
        const stored = await app.getOrder(o.outTradeNo);
        if (stored?.status !== 'TRADE_SUCCESS') failures.push(`round ${round}: ${o.outTradeNo} is ${stored?.status}`);
        if (stored?.version !== 2) failures.push(`round ${round}: ${o.outTradeNo} is at version ${stored?.version}, not 2 (applied once)`);
        perId.push(app.gateway.callCount(messages[i]!.notifyId));
      }
    }
    const rejected = (await app.notifications()).filter((r) => ours.has(String(r.outTradeNo)) && String(r.outcome).startsWith('rejected:'));

    const total = perId.reduce((a, b) => a + b, 0);
    const calls = `notify_verify calls per notify_id: min ${Math.min(...perId)}, max ${Math.max(...perId)}, total ${total} for ${perId.length} ids`;
    t.diagnostic(`${calls}; copies sent again after a fail: ${resends}`);

    assert.deepEqual(failures.slice(0, 12), [], `${failures.length} copies/orders went wrong (first 12 shown)`);
    assert.deepEqual(rejected.map((r) => `${r.outTradeNo}: ${r.outcome}`), [], 'records with outcome rejected:*');
  });
});
