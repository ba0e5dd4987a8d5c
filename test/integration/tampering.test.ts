// Tampering with notifications and returns, by example: what the money-path and notify tests do not already show.
// Edited after signing -> refused, nothing written; signed but wrong for the order -> an anomaly, never paid; a genuine
// sign carried over through a re-split echoed value or a notify_id used for another order -> not applied.
// Every forged message is also judged by the independent MD5 oracle, so each case is the attack it claims to be.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeForm } from '../../shared/alipay/form.ts';
import type { Order } from '../../shared/orders/order.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { beijingTime, notification, returnQuery, type SignedMessage, signMessage, TEST_KEY, type TradeMessageInput } from '../support/alipay-messages.ts';
import { getReturn, postNotify, postPayment } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { createOrder, newOutTradeNo } from '../support/payments.ts';
import { oracleVerdict } from '../support/presign-oracle.ts';

const { app, logs } = useTestApp();

const OTHER_ACCOUNT = '2088999999999999';

const encode = (fields: Record<string, string>): Buffer => Buffer.from(encodeForm(Object.entries(fields), 'utf-8'), 'latin1');

function assertAnswer(res: HttpAnswer, body: 'success' | 'fail', what: string): void {
  assert.equal(res.status, 200, what);
  assert.equal(res.headers['content-type'], 'text/plain', what);
  assert.equal(res.body, body, `${what}: Alipay was answered ${JSON.stringify(res.body)}`);
}

/** The data-result of the handler's own return page. */
function pageResult(res: HttpAnswer): string {
  const m = /data-result="([a-z]+)"/.exec(res.body);
  assert.ok(m, `not a result page (status ${res.status}): ${res.body.slice(0, 200)}`);
  return m[1]!;
}

/** The oracle's word on a message, so a case cannot pass for the wrong reason. */
function assertSigned(body: Buffer, signed: boolean, what: string): void {
  const verdict = oracleVerdict(body, TEST_KEY);
  assert.equal(verdict.signed, signed, `${what}: the oracle says ${verdict.signed ? 'validly signed' : `not validly signed (${verdict.why})`}`);
}

/** Not paid, not moved: same status, no trade_no, no paid amount; anomalies exactly `codes`. */
function assertNotMoved(now: Order | undefined, before: Order, codes: string[], what: string): void {
  assert.ok(now, `${what}: the order vanished`);
  assert.equal(now.status, before.status, `${what}: the order moved to ${now.status}`);
  assert.equal(now.tradeNo, before.tradeNo, `${what}: the order took trade_no ${now.tradeNo}`);
  assert.equal(now.paidFen, before.paidFen, `${what}: the order was marked paid`);
  assert.deepEqual(now.anomalies.map((a) => a.code), codes, `${what}: anomalies`);
}

// ---------------------------------------------------------------------------------------------------------------------

/** Edits of a signed message's fields that money-path-receive.test.ts does not already try. */
const SIGN_EDITS: [string, (f: Record<string, string>) => Record<string, string> | string][] = [
  ['sign_type downgraded to DSA', (f) => ({ ...f, sign_type: 'DSA' })],
  ['sign_type emptied', (f) => ({ ...f, sign_type: '' })],
  ['sign_type " MD5" (padded)', (f) => ({ ...f, sign_type: ' MD5' })],
  ['sign_type given twice, RSA then MD5', (f) => `${encodeForm(Object.entries({ ...f, sign_type: 'RSA' }), 'utf-8')}&sign_type=MD5`],
  ['sign in mixed case (first letter upper case)', (f) => ({ ...f, sign: f.sign!.replace(/[a-f]/, (c) => c.toUpperCase()) })],
  ['sign followed by a space', (f) => ({ ...f, sign: `${f.sign} ` })],
  ['sign given twice, a forged one first', (f) => `sign=${'0'.repeat(32)}&${encodeForm(Object.entries(f), 'utf-8')}`],
  ['seller_id changed after signing', (f) => ({ ...f, seller_id: OTHER_ACCOUNT })],
  ['seller_email changed after signing', (f) => ({ ...f, seller_email: 'attacker@example.com' })],
  ['total_fee written 88.880 after signing (same amount, other bytes)', (f) => ({ ...f, total_fee: `${f.total_fee}0` })],
  ['trade_status lower-cased after signing', (f) => ({ ...f, trade_status: f.trade_status!.toLowerCase() })],
];

describe('edited after signing: refused, nothing written, no order moved, notify_verify not asked', () => {
  for (const [what, edit] of SIGN_EDITS) {
    for (const channel of ['notify', 'return'] as const) {
      test(`${channel}: ${what}`, async () => {
        const order = await createOrder();
        const before = (await app.getOrder(order.outTradeNo))!;
        const genuine = (channel === 'notify' ? notification : returnQuery)({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
        const edited = edit(genuine.fields);
        const body = typeof edited === 'string' ? Buffer.from(edited, 'latin1') : encode(edited);
        assertSigned(body, false, what);
        const items = (await app.notifications()).length;
        const calls = app.gateway.calls.length;

        if (channel === 'notify') assertAnswer(await postNotify(body), 'fail', what);
        else {
          const res = await getReturn(body.toString('latin1'));
          assert.equal(res.status, 400, what);
          assert.equal(pageResult(res), 'unverified', what);
        }

        assert.deepEqual(await app.getOrder(order.outTradeNo), before, `${what}: the order changed`);
        assert.equal((await app.notifications()).length, items, `${what}: items were written`);
        assert.equal(app.gateway.calls.length, calls, `${what}: notify_verify was asked`);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------------------------------

describe('a buyer who edits the return URL in the browser: "unverified", no order moved, nothing written', () => {
  type Edit = (genuine: SignedMessage, other: string) => string;
  const set = (m: SignedMessage, change: Record<string, string>): string => encodeForm(Object.entries({ ...m.fields, ...change }), 'utf-8');
  const edits: [string, Partial<{ tradeStatus: string; old: boolean; isSuccess: string }>, Edit][] = [
    ['out_trade_no changed to another (dearer) order of theirs', {}, (m, other) => set(m, { out_trade_no: other })],
    ['trade_status WAIT_BUYER_PAY changed to TRADE_SUCCESS', { tradeStatus: 'WAIT_BUYER_PAY' }, (m) => set(m, { trade_status: 'TRADE_SUCCESS' })],
    ['is_success F changed to T', { isSuccess: 'F' }, (m) => set(m, { is_success: 'T' })],
    ['notify_time of a 10-minute-old return made fresh', { old: true }, (m) => set(m, { notify_time: beijingTime(new Date()) })],
    ['"&trade_status=TRADE_FINISHED" appended', {}, (m) => `${m.encoded}&trade_status=TRADE_FINISHED`],
    ['"&total_fee=0.01" put first', {}, (m) => `total_fee=0.01&${m.encoded}`],
    ['sign_type removed', {}, (m) => m.encoded.replace(/&?sign_type=MD5/, '')],
  ];

  for (const [what, shape, edit] of edits) {
    test(what, async () => {
      const cheap = await createOrder('create_digital_goods_trade_p'); // 29.70
      const dear = await createOrder(); // 88.88
      const before = [(await app.getOrder(cheap.outTradeNo))!, (await app.getOrder(dear.outTradeNo))!];
      const signed = returnQuery({
        outTradeNo: cheap.outTradeNo, tradeStatus: shape.tradeStatus ?? 'TRADE_SUCCESS', totalFee: cheap.paidFee, service: 'create_digital_goods_trade_p',
        ...(shape.old ? { notifyTime: new Date(Date.now() - 10 * 60_000) } : {}),
      });
      // Alipay's return for a failed payment says is_success=F (returnQuery writes T).
      const { sign: _sign, sign_type: _signType, ...fields } = signed.fields;
      const genuine = shape.isSuccess ? signMessage({ ...fields, is_success: shape.isSuccess }) : signed;
      const query = edit(genuine, dear.outTradeNo);
      assert.notEqual(query, genuine.encoded);
      assertSigned(Buffer.from(query, 'latin1'), false, what);
      const items = (await app.notifications()).length;
      const calls = app.gateway.calls.length;

      const res = await getReturn(query);
      assert.equal(res.status, 400, what);
      assert.equal(pageResult(res), 'unverified', what);

      assert.deepEqual([await app.getOrder(cheap.outTradeNo), await app.getOrder(dear.outTradeNo)], before, `${what}: an order changed`);
      assert.equal((await app.notifications()).length, items, `${what}: items were written`);
      assert.equal(app.gateway.calls.length, calls, `${what}: notify_verify was asked`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------------

describe('signed by Alipay but wrong for the order: an anomaly, never paid', () => {
  test('notify: partner is another merchant\'s: success (so Alipay stops), anomaly partner_mismatch, not paid', async () => {
    const order = await createOrder();
    const before = (await app.getOrder(order.outTradeNo))!;
    const message = notification({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, extra: { partner: OTHER_ACCOUNT } });
    assertSigned(message.bytes, true, 'partner');
    assertAnswer(await postNotify(message), 'success', 'another partner');
    assertNotMoved(await app.getOrder(order.outTradeNo), before, ['partner_mismatch'], 'another partner');
    assert.deepEqual((await app.notifications(message.notifyId)).map((r) => r.outcome), ['anomaly']);
  });

  const cases: [string, ServiceName, Partial<TradeMessageInput>, string][] = [
    ['an amount that is not the order\'s', 'create_direct_pay_by_user', { totalFee: '0.01' }, 'amount_mismatch'],
    ['another seller', 'create_direct_pay_by_user', { sellerId: OTHER_ACCOUNT }, 'seller_mismatch'],
    ['another partner', 'create_direct_pay_by_user', { extra: { partner: OTHER_ACCOUNT } }, 'partner_mismatch'],
    ['TRADE_SUCCESS for a pure escrow trade, which never has it', 'create_partner_trade_by_buyer', {}, 'unexpected_status'],
  ];
  for (const [what, service, input, code] of cases) {
    test(`return: ${what}: the page does not say paid, anomaly ${code}, not paid`, async () => {
      const order = await createOrder(service);
      const before = (await app.getOrder(order.outTradeNo))!;
      const query = returnQuery({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee, service, ...input });
      assertSigned(query.bytes, true, what);

      const res = await getReturn(query);
      assert.equal(res.status, 200, res.body.slice(0, 200));
      assert.notEqual(pageResult(res), 'paid', `${what}: the page says paid`);
      assertNotMoved(await app.getOrder(order.outTradeNo), before, [code], what);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------------
// The presign joins raw values with "&" and "=": a genuine message whose echoed value holds "&k=v" can be re-read as
// other parameters under the same sign. money-path-attacks.test.ts shows it through subject; here through the other
// values Alipay echoes, with the genuine tail landing in a parameter the message already has.

/** The signed fields of a message as the presign text: sorted `k=v` joined by "&", no sign, sign_type or empty value. */
function presignText(fields: Record<string, string>): string {
  return Object.keys(fields).filter((k) => k !== 'sign' && k !== 'sign_type' && fields[k] !== '').sort().map((k) => `${k}=${fields[k]}`).join('&');
}

/** The same presign read differently: cut at `&<tail>=`, the pieces before as parameters, everything after as tail's value. */
function resplit(genuine: SignedMessage, tail: string): Buffer {
  const presign = presignText(genuine.fields);
  const cut = presign.indexOf(`&${tail}=&`);
  assert.ok(cut > 0, `the attack value ends the presign piece with ${tail}=: ${presign}`);
  const fields: Record<string, string> = {};
  for (const piece of presign.slice(0, cut).split('&')) {
    const eq = piece.indexOf('=');
    assert.equal(fields[piece.slice(0, eq)], undefined, `${piece.slice(0, eq)} read twice`);
    fields[piece.slice(0, eq)] = piece.slice(eq + 1);
  }
  fields[tail] = presign.slice(cut + tail.length + 2);
  const forged = encode({ ...fields, sign: genuine.fields.sign!, sign_type: 'MD5' });
  assertSigned(forged, true, 'the re-split message'); // else it would be no attack
  return forged;
}

/** An order from before values were checked: its sent `param` (and so what Alipay echoes) is `attack(outTradeNo)`. */
async function legacyOrder(param: 'extra_common_param' | 'body', attack: (outTradeNo: string) => string): Promise<{ outTradeNo: string; fee: string; value: string }> {
  const outTradeNo = newOutTradeNo('LEG');
  const res = await postPayment({ service: 'create_direct_pay_by_user', outTradeNo, subject: 'Tea', body: 'Tea', extraCommonParam: 'cart', totalFee: '12.34' });
  assert.equal(res.status, 201, res.body);
  const value = attack(outTradeNo);
  await DynamoDBDocumentClient.from(app.client).send(new UpdateCommand({
    TableName: app.tables.orders, Key: { outTradeNo },
    UpdateExpression: 'SET #gp.#p = :v', ExpressionAttributeNames: { '#gp': 'gatewayParams', '#p': param }, ExpressionAttributeValues: { ':v': value },
  }));
  return { outTradeNo, fee: '12.34', value };
}

describe('a genuine sign carried over by re-splitting an echoed value: not applied; the genuine message then is', () => {
  // extra_common_param and body sort before notify_id and out_trade_no, so the attack value must bring its own: the
  // order's out_trade_no and a notify_id Alipay would confirm. Then a forged trade_no and TRADE_FINISHED, and the
  // genuine rest of the presign hidden in use_coupon, a parameter the message already has.
  const attack = (outTradeNo: string) =>
    `cart&notify_id=${'a'.repeat(34)}&out_trade_no=${outTradeNo}&total_fee=12.34&trade_no=2026FORGEDTRADE0000000002&trade_status=TRADE_FINISHED&use_coupon=`;
  for (const [channel, param] of [['notify', 'extra_common_param'], ['return', 'body']] as const) {
    test(`${channel}: re-split through ${param}: the order stays CREATED with no forged trade_no, an anomaly is recorded`, async () => {
      const { outTradeNo, fee, value } = await legacyOrder(param, attack);
      const before = (await app.getOrder(outTradeNo))!;
      const make = channel === 'notify' ? notification : returnQuery;
      const genuine = make({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: fee, extra: { [param]: value } });
      const forged = resplit(genuine, 'use_coupon');
      assert.match(forged.toString('latin1'), new RegExp(`&out_trade_no=${outTradeNo}&.*trade_status=TRADE_FINISHED`));

      const res = channel === 'notify' ? await postNotify(forged) : await getReturn(forged.toString('latin1'));
      if (channel === 'return') assert.notEqual(pageResult(res), 'paid', 'the page says paid');
      const now = (await app.getOrder(outTradeNo))!;
      assert.equal(now.status, 'CREATED', `the forged message moved the order to ${now.status}`);
      assert.equal(now.tradeNo, undefined, 'the order took the forged trade_no');
      assert.deepEqual(now.anomalies.slice(before.anomalies.length).map((a) => a.code), ['echo_mismatch', 'ambiguous_message'], 'the re-split is recorded');

      // Alipay's genuine message still pays the order.
      const paid = channel === 'notify' ? await postNotify(genuine) : await getReturn(genuine);
      if (channel === 'notify') assertAnswer(paid, 'success', 'the genuine notification');
      else assert.equal(pageResult(paid), 'paid');
      assert.equal((await app.getOrder(outTradeNo))!.status, 'TRADE_SUCCESS');
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------------

describe('a notify_id used for one order, replayed on another through the other channel', () => {
  test('a return for order B carrying the notify_id that paid order A (notify): B not paid, anomaly notify_id_reused; A unchanged', async () => {
    const a = await createOrder();
    const paidBy = notification({ outTradeNo: a.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: a.paidFee });
    assertAnswer(await postNotify(paidBy), 'success', 'A paid');
    const paidA = await app.getOrder(a.outTradeNo);

    const b = await createOrder();
    const beforeB = (await app.getOrder(b.outTradeNo))!;
    const replay = returnQuery({ outTradeNo: b.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: b.paidFee, notifyId: paidBy.notifyId });
    const res = await getReturn(replay);
    assert.notEqual(pageResult(res), 'paid', 'the page for B says paid');
    assertNotMoved(await app.getOrder(b.outTradeNo), beforeB, ['notify_id_reused'], 'order B');
    assert.deepEqual(await app.getOrder(a.outTradeNo), paidA, 'order A changed');
  });

  test('a notify for order B carrying the notify_id of order A\'s return: success, B not paid, anomaly notify_id_reused; A unchanged', async () => {
    const a = await createOrder();
    const returned = returnQuery({ outTradeNo: a.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: a.paidFee });
    assert.equal(pageResult(await getReturn(returned)), 'paid');
    const paidA = await app.getOrder(a.outTradeNo);

    const b = await createOrder();
    const beforeB = (await app.getOrder(b.outTradeNo))!;
    const replay = notification({ outTradeNo: b.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: b.paidFee, notifyId: returned.notifyId });
    assertAnswer(await postNotify(replay), 'success', 'B with A\'s return notify_id');
    assertNotMoved(await app.getOrder(b.outTradeNo), beforeB, ['notify_id_reused'], 'order B');
    assert.deepEqual(await app.getOrder(a.outTradeNo), paidA, 'order A changed');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('a refusal is logged without the sign it quotes (found by fuzzing: the scan of test/run.ts flagged both)', () => {
  const FULL_SIGN = /(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])/;
  const cases: [string, (m: SignedMessage) => string][] = [
    ['sign_type carrying the message\'s sign', (m) => encodeForm(Object.entries({ ...m.fields, sign_type: m.fields.sign! }), 'utf-8')],
    ['a parameter named "sign" + the sign, given twice', (m) => `${m.encoded}&sign${m.fields.sign}=&sign${m.fields.sign}=`],
  ];
  for (const [what, edit] of cases) {
    for (const channel of ['notify', 'return'] as const) {
      test(`${channel}: ${what}: refused, and no log line holds 32 hex characters`, async () => {
        const order = await createOrder();
        const genuine = (channel === 'notify' ? notification : returnQuery)({ outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: order.paidFee });
        const from = logs.lines.length;
        if (channel === 'notify') assertAnswer(await postNotify(edit(genuine)), 'fail', what);
        else assert.equal(pageResult(await getReturn(edit(genuine))), 'unverified', what);
        const lines = logs.lines.slice(from);
        assert.ok(lines.some((l) => l.includes(genuine.fields.sign!.slice(0, 6))), `${what}: the refusal is logged with the sign's first characters`);
        assert.deepEqual(lines.filter((l) => FULL_SIGN.test(l)), [], `${what}: a log line holds a full sign`);
      });
    }
  }
});
