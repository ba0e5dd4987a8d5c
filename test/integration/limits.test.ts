// Limits: bodies over 16 KB, thousands of parameters, values percent-encoded over and over, bytes that are no GBK,
// identifiers too long to be ours, JSON nested thousands deep -> a clear answer, nothing written; and a burst of large
// bodies at once leaves the process's memory bounded (the figure is reported).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { handler as createPaymentHandler } from '../../functions/create-payment.ts';
import { encodeForm, percentEncodeBytes } from '../../shared/alipay/form.ts';
import { notification, returnQuery, signMessage, TEST_KEY, type TradeMessageInput, tradeFields } from '../support/alipay-messages.ts';
import { getReturn, postNotify, postPayment } from '../support/api.ts';
import { STOREFRONT_TOKEN, useTestApp } from '../support/app-env.ts';
import { type HttpAnswer, httpEvent, readResult } from '../support/events.ts';
import { createOrder, paymentExample } from '../support/payments.ts';
import { expectedSign, oracleVerdict, readForm } from '../support/presign-oracle.ts';

const { app } = useTestApp();

const KB = 1024;

function assertAnswer(res: HttpAnswer, body: 'success' | 'fail', what: string): void {
  assert.equal(res.status, 200, what);
  assert.equal(res.headers['content-type'], 'text/plain', what);
  assert.equal(res.body, body, `${what}: Alipay was answered ${JSON.stringify(res.body)}`);
}

/** A 4xx JSON error with this code (and field), a message that says something. */
function assertRefusal(res: HttpAnswer, status: number, code: string, field: string | undefined, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.body.slice(0, 300)}`);
  assert.equal(res.json?.error?.code, code, what);
  assert.equal(res.json.error.field, field, what);
  assert.ok(typeof res.json.error.message === 'string' && res.json.error.message.length > 10, `${what}: message ${JSON.stringify(res.json.error.message)}`);
}

const pageResult = (res: HttpAnswer): string => /data-result="([a-z]+)"/.exec(res.body)?.[1] ?? assert.fail(`not a result page: ${res.body.slice(0, 200)}`);

const postJsonBytes = async (bytes: Buffer): Promise<HttpAnswer> => readResult(await createPaymentHandler(httpEvent({
  method: 'POST', path: '/payments', routeKey: 'POST /payments',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${STOREFRONT_TOKEN}` }, body: bytes, base64: true,
})));

/** A form body of `count` parameters `p0001=1&…` with a sign that is not ours, `bytes` long at most. */
function manyParameters(count: number): Buffer {
  const parts = Array.from({ length: count }, (_, i) => `p${String(i).padStart(4, '0')}=1`);
  return Buffer.from(`${parts.join('&')}&sign=${'0'.repeat(32)}&sign_type=MD5`, 'latin1');
}

/** `text` percent-encoded `times` times over ("&" -> %26 -> %2526 -> …). */
function encodedOver(text: string, times: number): string {
  let out = text;
  for (let i = 0; i < times; i++) out = percentEncodeBytes(Buffer.from(out, 'latin1'));
  return out;
}

describe('POST /alipay/notify at its limits', () => {
  test('2,000 parameters in 16 KB, not signed by us: fail, nothing written, notify_verify not asked', async () => {
    const body = manyParameters(2000);
    assert.ok(body.length <= 16 * KB, String(body.length));
    const items = (await app.notifications()).length;
    const calls = app.gateway.calls.length;
    assertAnswer(await postNotify(body), 'fail', '2,000 parameters');
    assert.equal((await app.notifications()).length, items);
    assert.equal(app.gateway.calls.length, calls);
  });

  test('a genuine notification with 1,000 extra parameters (signed, under 16 KB) is read like any other: the 16 KB cap bounds the work', async () => {
    const order = await createOrder();
    const extra = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x${i}`, '1']));
    const message = signMessage(tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, extra }));
    assert.ok(message.bytes.length <= 16 * KB, String(message.bytes.length));
    assertAnswer(await postNotify(message), 'success', '1,000 extra parameters');
    assert.equal((await app.getOrder(order.outTradeNo))!.status, 'TRADE_SUCCESS');
  });

  test('a value percent-encoded 12 times over is decoded once: in a forged message, fail; in a genuine one, text that re-splits nothing', async () => {
    const order = await createOrder();
    const deep = encodedOver('&trade_status=TRADE_FINISHED&zz=', 12);
    assert.ok(deep.startsWith('%2525252525252525252525'), deep);

    const forged = `${notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee }).encoded}&body=${deep}`;
    assert.equal(oracleVerdict(Buffer.from(forged, 'latin1'), TEST_KEY).signed, false);
    assertAnswer(await postNotify(forged), 'fail', 'forged, deeply encoded');

    // Alipay signed the value once-decoded, as it received it: 11 layers of percent-encoding, as text.
    const fields = tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    const { sign } = signMessage({ ...fields, body: encodedOver('&trade_status=TRADE_FINISHED&zz=', 11) }).fields;
    const genuine = `${encodeForm(Object.entries(fields), 'utf-8')}&body=${deep}&sign=${sign}&sign_type=MD5`;
    assert.equal(oracleVerdict(Buffer.from(genuine, 'latin1'), TEST_KEY).signed, true);
    assertAnswer(await postNotify(genuine), 'success', 'genuine, deeply encoded');
    const stored = (await app.getOrder(order.outTradeNo))!;
    assert.equal(stored.status, 'TRADE_SUCCESS', 'the encoded TRADE_FINISHED was read as a status');
    assert.deepEqual(stored.anomalies, []);
  });

  test('bytes that are neither UTF-8 nor GBK: forged, fail; signed by Alipay, the money facts still read and the raw bytes kept as sent', async () => {
    const order = await createOrder('create_digital_goods_trade_p', { charset: 'gbk' });
    const fields = tradeFields({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
    // 0x81 0x20 (a lead byte and no trail), 0xFF (never GBK), and a lead byte cut at the end.
    const broken = '%81+%FF%B2';
    const forged = `${encodeForm(Object.entries(fields), 'gbk')}&body=${broken}&sign=${'0'.repeat(32)}&sign_type=MD5`;
    assertAnswer(await postNotify(forged, { charset: 'gbk' }), 'fail', 'forged, broken GBK');

    const signedBody = Buffer.concat([Buffer.from(`${encodeForm(Object.entries(fields), 'gbk')}&body=`, 'latin1'), Buffer.from([0x81, 0x20, 0xff, 0xb2])]);
    const sign = signWithOracle(signedBody);
    const genuine = `${encodeForm(Object.entries(fields), 'gbk')}&body=${broken}&sign=${sign}&sign_type=MD5`;
    assert.equal(oracleVerdict(Buffer.from(genuine, 'latin1'), TEST_KEY).signed, true);
    assertAnswer(await postNotify(genuine, { charset: 'gbk' }), 'success', 'signed, broken GBK');
    assert.equal((await app.getOrder(order.outTradeNo))!.status, 'TRADE_SUCCESS');
    const records = await app.notifications(fields.notify_id);
    assert.deepEqual(records.map((r) => Buffer.from(r.raw as Uint8Array).toString('latin1')), [genuine], 'the raw body is kept byte for byte');
  });

  test('a trade_no of 3,000 characters (signed): success so Alipay stops, recorded as an anomaly, notify_verify not asked, order unchanged', async () => {
    const order = await createOrder();
    const before = await app.getOrder(order.outTradeNo);
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, tradeNo: '2'.repeat(3000) });
    assertAnswer(await postNotify(message), 'success', 'a 3,000-character trade_no');
    assert.equal(app.gateway.callCount(message.notifyId), 0);
    assert.deepEqual(await app.getOrder(order.outTradeNo), before);
    const records = (await app.notifications()).filter((r) => Buffer.from(r.raw as Uint8Array).equals(message.bytes));
    assert.deepEqual(records.map((r) => r.outcome), ['anomaly']);
  });
});

/** The sign of a body as Alipay computes it, from the oracle's reading (parameters as bytes, our key). */
function signWithOracle(body: Buffer): string {
  const read = readForm(body);
  assert.ok('params' in read, 'a readable body');
  return expectedSign(read.params, TEST_KEY);
}

describe('GET /alipay/return at its limits', () => {
  const cases: [string, Partial<TradeMessageInput>][] = [
    ['an out_trade_no of 3,000 characters', { outTradeNo: 'o'.repeat(3000) }],
    ['a notify_id of 300 characters', { notifyId: 'n'.repeat(300) }],
    ['a trade_no of 65 characters', { tradeNo: '9'.repeat(65) }],
  ];
  for (const [what, input] of cases) {
    test(`${what} (signed): "unverified", nothing written, notify_verify not asked`, async () => {
      const order = await createOrder();
      const before = await app.getOrder(order.outTradeNo);
      const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, ...input });
      const items = (await app.notifications()).length;
      const calls = app.gateway.calls.length;
      const res = await getReturn(query);
      assert.equal(res.status, 400);
      assert.equal(pageResult(res), 'unverified');
      assert.deepEqual(await app.getOrder(order.outTradeNo), before);
      assert.equal((await app.notifications()).length, items);
      assert.equal(app.gateway.calls.length, calls);
    });
  }

  test('a 64 KB query string (no return has one): "unverified", nothing written', async () => {
    const items = (await app.notifications()).length;
    const res = await getReturn(manyParameters(7000).toString('latin1').padEnd(64 * KB, 'x'));
    assert.equal(pageResult(res), 'unverified');
    assert.equal((await app.notifications()).length, items);
  });
});

describe('POST /payments at its limits', () => {
  test('a body of 16 KB + 1 byte: 413 BODY_TOO_LARGE naming the limit, nothing written', async () => {
    const { body } = paymentExample('create_direct_pay_by_user');
    const size = Buffer.byteLength(JSON.stringify({ ...body, body: '' }));
    const bytes = Buffer.from(JSON.stringify({ ...body, body: 'b'.repeat(16 * KB + 1 - size) }));
    assert.equal(bytes.length, 16 * KB + 1);
    const res = await postJsonBytes(bytes);
    assertRefusal(res, 413, 'BODY_TOO_LARGE', undefined, '16 KB + 1');
    assert.match(res.json.error.message, /16384/);
    assert.equal(await app.getOrder(body.outTradeNo as string), undefined);
  });

  for (const [what, make, code, field] of [
    ['an outTradeNo of 10,000 characters (no DynamoDB key holds it)', (b: Record<string, unknown>) => ({ ...b, outTradeNo: 'T'.repeat(10_000) }), 'INVALID_PARAMETER', 'outTradeNo'],
    ['a subject of 5,000 characters', (b: Record<string, unknown>) => ({ ...b, subject: '长'.repeat(5000) }), 'INVALID_PARAMETER', 'subject'],
    ['1,000 unknown fields', (b: Record<string, unknown>) => ({ ...b, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, '1'])) }), 'UNKNOWN_PARAMETER', 'f0'],
    ['a subject nested 5,000 arrays deep', (b: Record<string, unknown>) => `${JSON.stringify({ ...b, subject: 0 }).replace(/"subject":0/, `"subject":${'['.repeat(5000)}${']'.repeat(5000)}`)}`, 'INVALID_PARAMETER', 'subject'],
    ['a logistics option nested 2,500 objects deep', (b: Record<string, unknown>) => `${JSON.stringify({ ...b, logistics: 0 }).replace(/"logistics":0/, `"logistics":[${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}]`)}`, 'UNKNOWN_PARAMETER', 'logistics'],
  ] as const) {
    test(`${what}: 400 naming ${field}, nothing written`, async () => {
      const { body } = paymentExample(what.includes('logistics') ? 'create_partner_trade_by_buyer' : 'create_direct_pay_by_user');
      const sent = make({ ...body, ...(what.includes('logistics') ? { logistics: undefined } : {}) });
      const bytes = Buffer.from(typeof sent === 'string' ? sent : JSON.stringify(sent));
      assert.ok(bytes.length <= 16 * KB, `${what}: ${bytes.length} bytes`);
      assertRefusal(await postJsonBytes(bytes), 400, code, field, what);
      assert.equal(await app.getOrder(body.outTradeNo as string), undefined);
    });
  }
});

describe('memory under a burst of large bodies', () => {
  test('600 requests of 16-17 KB at once (notify, return, POST /payments): every one refused as it should be; RSS stays bounded', async (t) => {
    const order = await createOrder();
    const genuine = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, extra: { body: 'x'.repeat(16 * KB) } });
    assert.ok(genuine.bytes.length > 16 * KB);
    const tooLargeJson = Buffer.from(JSON.stringify({ ...paymentExample('create_direct_pay_by_user').body, body: 'y'.repeat(17 * KB) }));
    const almostJson = Buffer.from(JSON.stringify({ ...paymentExample('create_direct_pay_by_user').body, subject: '长'.repeat(5000) }));
    const requests: [string, () => Promise<boolean>][] = [];
    for (let i = 0; i < 100; i++) {
      requests.push(['notify over 16 KB', async () => (await postNotify(genuine)).body === 'fail']);
      requests.push(['notify of 2,000 parameters', async () => (await postNotify(manyParameters(2000))).body === 'fail']);
      requests.push(['return of 17 KB', async () => pageResult(await getReturn(manyParameters(2000).toString('latin1').padEnd(17 * KB, 'x'))) === 'unverified']);
      requests.push(['POST /payments over 16 KB', async () => (await postJsonBytes(tooLargeJson)).status === 413]);
      requests.push(['POST /payments, a 15 KB subject', async () => (await postJsonBytes(almostJson)).status === 400]);
      requests.push(['POST /payments, no token', async () => (await postPayment(tooLargeJson.toString(), { token: null })).status === 401]);
    }
    const items = (await app.notifications()).length;
    const orders = await app.getOrder(order.outTradeNo);
    const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 5);
    const outcomes = await Promise.all(requests.map(async ([what, run]) => [what, await run()] as const));
    clearInterval(sampler);
    const after = rss();
    peak = Math.max(peak, after);

    t.diagnostic(`RSS ${before} MB before ${requests.length} requests of 16-17 KB at once, peak ${peak} MB, ${after} MB after (+${peak - before} MB at most)`);
    assert.deepEqual(outcomes.filter(([, ok]) => !ok).map(([what]) => what), [], 'requests not refused as they should be');
    assert.equal((await app.notifications()).length, items, 'items written');
    assert.deepEqual(await app.getOrder(order.outTradeNo), orders, 'the order changed');
    // Generous: a handler that held each body (or a copy per parameter) would take far more; a busy machine does not.
    assert.ok(peak - before < 256, `RSS grew by ${peak - before} MB during the burst`);
  });
});
