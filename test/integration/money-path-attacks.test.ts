// Regression tests for attacks on, and impossible identifiers in, signed messages (D8, D12, D13): a genuine sign re-used
// over re-split parameters, identifiers DynamoDB cannot key, and a notify_id carried over to another order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeForm, parseFormBytes } from '../../shared/alipay/form.ts';
import { byteParamsFromForm, byteParamsFromStrings } from '../../shared/alipay/params.ts';
import { presignBytes, UNSIGNED_PARAMS, verifyBytes } from '../../shared/alipay/sign.ts';
import { notification, returnQuery, type SignedMessage, signMessage, TEST_KEY, tradeFields, tradeNoFor } from '../support/alipay-messages.ts';
import { getPayment, getReturn, postNotify, postPayment } from '../support/api.ts';
import { type NotificationItem, useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { createOrder, newOutTradeNo } from '../support/payments.ts';

const { app } = useTestApp();

function assertAnswer(res: HttpAnswer, body: 'success' | 'fail', what = ''): void {
  assert.equal(res.status, 200, what);
  assert.equal(res.body, body, `${what}: Alipay was answered ${JSON.stringify(res.body)}`);
}

/** The result the handler's own return page shows (its data-result attribute). */
function pageResult(res: HttpAnswer): string {
  const m = /data-result="([a-z]+)"/.exec(res.body);
  assert.ok(m, `not a result page (status ${res.status}): ${res.body.slice(0, 200)}`);
  return m[1]!;
}

const codes = (status: { anomalies: { code: string }[] }): string[] => status.anomalies.map((a) => a.code);

// ---------------------------------------------------------------------------------------------------------------------
// D8: the MD5 presign is `k=v&k=v…` over raw values, so a value holding `&k=v` can be cut into other parameters.

const FORGED_TRADE_NO = '2026FORGEDTRADE0000000001';
const ATTACK_SUBJECT = `Tea&total_fee=12.34&trade_no=${FORGED_TRADE_NO}&trade_status=TRADE_FINISHED&use_coupon=N&zz=`;
/** The order amount the attack subject repeats, so the forged total_fee matches and only status and trade_no are forged. */
const ORDER_FEE = '12.34';

/** The presign of a genuine message as text: its signed fields, sorted, `k=v` joined with `&`. No key involved. */
function presignOf(fields: Readonly<Record<string, string>>): string {
  const signed = Object.fromEntries(Object.entries(fields).filter(([k]) => !UNSIGNED_PARAMS.has(k)));
  return presignBytes(byteParamsFromStrings(signed, 'utf-8')).toString('utf8');
}

/** Checks the forged body carries the genuine sign over the very same presign, i.e. it verifies with the key. */
function assertVerifies(forged: Buffer, genuine: SignedMessage): void {
  const params = byteParamsFromForm(parseFormBytes(forged));
  assert.equal(params.get('sign')!.toString('latin1'), genuine.fields.sign, 'the forged message carries the genuine sign');
  assert.equal(presignBytes(params).toString('utf8'), presignOf(genuine.fields), 'same presign, split differently');
  assert.deepEqual(verifyBytes(params, TEST_KEY), { valid: true }, 'the forged message verifies with the key (else this is no attack)');
}

/** The genuine message re-split at the values: subject=Tea, forged total_fee/trade_no/trade_status, the genuine tail in zz. */
function resplitInValues(genuine: SignedMessage): Buffer {
  const presign = presignOf(genuine.fields);
  const at = presign.indexOf('&zz=');
  assert.ok(at > 0, `the attack subject is in the presign: ${presign}`);
  const { subject: _s, total_fee: _t, trade_no: _n, trade_status: _st, use_coupon: _u, sign, sign_type: _signType, ...rest } = genuine.fields;
  const forged: Record<string, string> = {
    ...rest,
    subject: 'Tea', total_fee: ORDER_FEE, trade_no: FORGED_TRADE_NO, trade_status: 'TRADE_FINISHED', use_coupon: 'N',
    zz: presign.slice(at + '&zz='.length),
    sign: sign!, sign_type: 'MD5',
  };
  const bytes = Buffer.from(encodeForm(Object.entries(forged), 'utf-8'), 'latin1');
  assertVerifies(bytes, genuine);
  return bytes;
}

/**
 * The same forgery with every value clean: the genuine tail hides in a parameter NAME that contains `=` and `&` once
 * percent-decoded (`zz%3D%26total_fee%3D…%26use_coupon=N`).
 */
function resplitInName(genuine: SignedMessage): Buffer {
  const presign = presignOf(genuine.fields);
  const tail = presign.slice(presign.indexOf('&zz=') + 1); // zz=&total_fee=…&use_coupon=N
  const cut = tail.lastIndexOf('=');
  const { subject: _s, total_fee: _t, trade_no: _n, trade_status: _st, use_coupon: _u, sign, sign_type: _signType, ...rest } = genuine.fields;
  const forged: Record<string, string> = {
    ...rest,
    subject: 'Tea', total_fee: ORDER_FEE, trade_no: FORGED_TRADE_NO, trade_status: 'TRADE_FINISHED', use_coupon: 'N',
    [tail.slice(0, cut)]: tail.slice(cut + 1),
    sign: sign!, sign_type: 'MD5',
  };
  for (const [name, value] of Object.entries(forged)) {
    if (name.includes('=')) continue;
    assert.ok(!/[&=]/.test(value), `only the name carries "&" or "=": ${name}=${value}`);
  }
  const bytes = Buffer.from(encodeForm(Object.entries(forged), 'utf-8'), 'latin1');
  assertVerifies(bytes, genuine);
  return bytes;
}

/**
 * An order created before subjects were checked: created as `Tea`, then given the attack subject directly in DynamoDB
 * (both the order's subject and the subject it sent to Alipay).
 */
async function legacyOrderWithAttackSubject(): Promise<string> {
  const outTradeNo = newOutTradeNo('ATK');
  const res = await postPayment({ service: 'create_direct_pay_by_user', outTradeNo, subject: 'Tea', totalFee: ORDER_FEE });
  assert.equal(res.status, 201, res.body);
  await DynamoDBDocumentClient.from(app.client).send(new UpdateCommand({
    TableName: app.tables.orders,
    Key: { outTradeNo },
    UpdateExpression: 'SET #subject = :subject, #gatewayParams.#subject = :subject',
    ExpressionAttributeNames: { '#subject': 'subject', '#gatewayParams': 'gatewayParams' },
    ExpressionAttributeValues: { ':subject': ATTACK_SUBJECT },
  }));
  const order = await app.getOrder(outTradeNo);
  assert.equal(order!.subject, ATTACK_SUBJECT);
  assert.equal(order!.gatewayParams.subject, ATTACK_SUBJECT);
  return outTradeNo;
}

/** The order was neither finished nor given the forged trade_no. */
async function assertNotForged(outTradeNo: string): Promise<void> {
  const status = (await getPayment(outTradeNo)).json;
  assert.equal(status.status, 'CREATED', `the forged message moved the order to ${status.status}`);
  assert.notEqual(status.tradeNo, FORGED_TRADE_NO, 'the order carries the forged trade_no');
}

/** Alipay's genuine async notification then pays the order with the real trade_no. */
async function assertGenuineNotifyApplies(outTradeNo: string, genuine: SignedMessage): Promise<void> {
  assertAnswer(await postNotify(genuine), 'success', 'the genuine notification');
  const status = (await getPayment(outTradeNo)).json;
  assert.equal(status.status, 'TRADE_SUCCESS');
  assert.equal(status.tradeNo, tradeNoFor(outTradeNo));
}

describe('D8: re-splitting a signed message', () => {
  test('D8: POST /payments refuses a subject that could be re-split (400, field subject)', async () => {
    const res = await postPayment({ service: 'create_direct_pay_by_user', outTradeNo: newOutTradeNo('ATK'), subject: ATTACK_SUBJECT, totalFee: ORDER_FEE });
    assert.equal(res.status, 400, `answered ${res.status}: ${res.body}`);
    assert.equal(res.json?.error?.field, 'subject');
  });

  test('D8: a genuine return re-split in its values is not applied: order stays CREATED, page not "paid"; the genuine notify then pays it', async () => {
    const outTradeNo = await legacyOrderWithAttackSubject();
    const genuineReturn = returnQuery({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: ORDER_FEE, subject: ATTACK_SUBJECT });
    const forged = resplitInValues(genuineReturn);

    const page = await getReturn(forged.toString('latin1'));
    await assertNotForged(outTradeNo);
    assert.notEqual(pageResult(page), 'paid', 'the page says paid');

    await assertGenuineNotifyApplies(outTradeNo, notification({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: ORDER_FEE, subject: ATTACK_SUBJECT }));
  });

  test('D8: a genuine notification re-split in its values is not applied; the genuine one (same notify_id) then pays the order', async () => {
    const outTradeNo = await legacyOrderWithAttackSubject();
    const genuine = notification({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: ORDER_FEE, subject: ATTACK_SUBJECT });
    const forged = resplitInValues(genuine);

    await postNotify(forged); // whatever it is answered, it must not change the order
    await assertNotForged(outTradeNo);

    await assertGenuineNotifyApplies(outTradeNo, genuine);
  });

  test('D8: a parameter name holding "=" and "&" (percent-encoded) cannot carry the re-split: not applied; the genuine one then pays', async () => {
    const outTradeNo = await legacyOrderWithAttackSubject();
    const genuine = notification({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: ORDER_FEE, subject: ATTACK_SUBJECT });
    const forged = resplitInName(genuine);
    assert.match(forged.toString('latin1'), /&zz%3D%26total_fee%3D/);

    await postNotify(forged);
    await assertNotForged(outTradeNo);

    await assertGenuineNotifyApplies(outTradeNo, genuine);
  });

  test('D8: a notification with a key given twice is refused: fail, order unchanged', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const genuine = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    assertAnswer(await postNotify(`${genuine.encoded}&trade_status=TRADE_FINISHED`), 'fail');
    assertAnswer(await postNotify(`trade_status=TRADE_FINISHED&${genuine.encoded}`), 'fail');
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// D12: identifiers no key can hold (DynamoDB keys are at most 2048 bytes).

const rawEquals = (item: NotificationItem, bytes: Buffer): boolean =>
  item.raw instanceof Uint8Array && Buffer.from(item.raw).equals(bytes);

/** The records of one message: its raw body, or (when given) an outTradeNo that names it. */
async function recordsOf(bytes: Buffer, outTradeNo?: string): Promise<NotificationItem[]> {
  return (await app.notifications()).filter((item) => rawEquals(item, bytes) || (outTradeNo !== undefined && item.outTradeNo === outTradeNo));
}

async function countOrders(): Promise<number> {
  const out = await DynamoDBDocumentClient.from(app.client).send(new ScanCommand({ TableName: app.tables.orders, Select: 'COUNT', ConsistentRead: true }));
  return out.Count ?? 0;
}

describe('D12: signed messages with impossible identifiers are answered success and recorded as anomalies', () => {
  test('D12: a 3000-character notify_id: success on every delivery, notify_verify not asked, order unchanged, recorded as anomaly', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, notifyId: `N${'7'.repeat(2999)}` });
    const calls = app.gateway.calls.length;

    assertAnswer(await postNotify(message), 'success', 'first delivery');
    assertAnswer(await postNotify(message), 'success', 'Alipay\'s resend');

    assert.equal(app.gateway.calls.length, calls, 'notify_verify was asked');
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
    const records = await recordsOf(message.bytes, order.outTradeNo);
    assert.ok(records.length >= 1, 'the message is recorded');
    assert.deepEqual([...new Set(records.map((r) => r.outcome))], ['anomaly']);
  });

  test('D12: a 3000-character out_trade_no: success on every delivery, notify_verify not asked, no order created, recorded as anomaly', async () => {
    const outTradeNo = `${newOutTradeNo('LONG')}`.padEnd(3000, 'x');
    const message = notification({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' });
    const orders = await countOrders();

    assertAnswer(await postNotify(message), 'success', 'first delivery');
    assertAnswer(await postNotify(message), 'success', 'Alipay\'s resend');

    assert.equal(app.gateway.callCount(message.notifyId), 0, 'notify_verify was asked');
    assert.equal(await countOrders(), orders, 'an order was created');
    const records = await recordsOf(message.bytes, outTradeNo);
    assert.ok(records.length >= 1, 'the message is recorded');
    assert.deepEqual([...new Set(records.map((r) => r.outcome))], ['anomaly']);
  });

  test('D12: no notify_id at all (correctly signed): success, notify_verify not asked, order unchanged, recorded as anomaly', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const message = signMessage(tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, extra: { notify_id: undefined } }));
    assert.equal(message.fields.notify_id, undefined);
    const calls = app.gateway.calls.length;

    assertAnswer(await postNotify(message), 'success');

    assert.equal(app.gateway.calls.length, calls, 'notify_verify was asked');
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
    const records = await recordsOf(message.bytes);
    assert.ok(records.length >= 1, 'the message is recorded');
    assert.deepEqual([...new Set(records.map((r) => r.outcome))], ['anomaly']);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// D13: a notify_id belongs to one message; the same notify_id on another order is not a duplicate.

describe('D13: a notify_id reused on another order', () => {
  test('D13: order B receives a signed TRADE_SUCCESS carrying order A\'s notify_id: success, B stays CREATED with anomaly notify_id_reused, A unchanged', async () => {
    const a = await createOrder();
    const n1 = notification({ outTradeNo: a.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: a.paidFee });
    assertAnswer(await postNotify(n1), 'success', 'A paid');
    const paidA = await app.getOrder(a.outTradeNo);
    assert.equal(paidA!.status, 'TRADE_SUCCESS');

    const b = await createOrder();
    const onB = notification({ outTradeNo: b.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: b.paidFee, notifyId: n1.notifyId });
    assertAnswer(await postNotify(onB), 'success', 'B with A\'s notify_id');

    const statusB = (await getPayment(b.outTradeNo)).json;
    assert.equal(statusB.status, 'CREATED');
    assert.deepEqual(codes(statusB), ['notify_id_reused'], 'GET /payments/B anomalies');
    assert.deepEqual(await app.getOrder(a.outTradeNo), paidA, 'order A changed');

    // Alipay resends it: nothing more happens.
    const afterFirst = await app.getOrder(b.outTradeNo);
    assertAnswer(await postNotify(onB), 'success', 'B again');
    const again = await app.getOrder(b.outTradeNo);
    assert.equal(again!.status, 'CREATED');
    assert.equal(again!.version, afterFirst!.version, 'the resend changed order B');
    assert.deepEqual(codes((await getPayment(b.outTradeNo)).json), ['notify_id_reused']);
    assert.deepEqual(await app.getOrder(a.outTradeNo), paidA, 'order A changed');
  });
});
