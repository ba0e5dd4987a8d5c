// POST /payments through its Lambda entry point against DynamoDB Local: created once, retried safely, refused clearly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeText } from '../../shared/alipay/charset.ts';
import { parseFormBytes } from '../../shared/alipay/form.ts';
import { signParams } from '../../shared/alipay/sign.ts';
import { SERVICE_NAMES } from '../../shared/alipay/services.ts';
import { SUBJECT, TEST_KEY, TEST_PARTNER } from '../support/alipay-messages.ts';
import { handler as createPaymentHandler } from '../../functions/create-payment.ts';
import { getPayment, postPayment } from '../support/api.ts';
import { STOREFRONT_TOKEN, useTestApp } from '../support/app-env.ts';
import { httpEvent, readResult } from '../support/events.ts';
import { newOutTradeNo, paymentExample } from '../support/payments.ts';

const { app, logs } = useTestApp();

/** The gateway form's fields must be signed with our key in the order's charset. */
function assertSigned(fields: Record<string, string>, charset: 'utf-8' | 'gbk'): void {
  const { sign, sign_type: signType, ...signed } = fields;
  assert.equal(signType, 'MD5');
  assert.equal(sign, signParams(signed, TEST_KEY, charset).sign);
}

describe('POST /payments', () => {
  for (const service of SERVICE_NAMES) {
    for (const charset of ['utf-8', 'gbk'] as const) {
      test(`${service} in ${charset}: 201 with a signed gateway URL and form; the order is CREATED`, async () => {
        const example = paymentExample(service, charset === 'gbk' ? { charset } : {});
        const outTradeNo = example.body.outTradeNo as string;
        const res = await postPayment(example.body);
        assert.equal(res.status, 201, res.body);
        assert.match(res.headers['content-type']!, /^application\/json/);
        const { form, gatewayUrl } = res.json;
        assert.equal(res.json.outTradeNo, outTradeNo);
        assert.equal(form.method, 'POST');
        assert.equal(form.action, `${app.env.ALIPAY_GATEWAY_URL}?_input_charset=${charset}`);
        assert.equal(form.fields.service, service);
        assert.equal(form.fields.partner, TEST_PARTNER);
        assert.equal(form.fields.seller_id, TEST_PARTNER);
        assert.equal(form.fields._input_charset, charset);
        assert.equal(form.fields.out_trade_no, outTradeNo);
        assert.equal(form.fields.subject, SUBJECT);
        assert.equal(form.fields.notify_url, 'https://shop.example.com/alipay/notify');
        assert.equal(form.fields.return_url, 'https://shop.example.com/alipay/return');
        assertSigned(form.fields, charset);

        // The GET form of the same request carries the same fields, encoded in the order's charset.
        assert.ok(gatewayUrl.startsWith(`${app.env.ALIPAY_GATEWAY_URL}?`));
        const query = gatewayUrl.slice(gatewayUrl.indexOf('?') + 1);
        const fromUrl = Object.fromEntries(parseFormBytes(Buffer.from(query, 'latin1')).map((p) => [p.name.toString('latin1'), decodeText(p.value, charset)]));
        assert.deepEqual(fromUrl, form.fields);

        const status = await getPayment(outTradeNo);
        assert.equal(status.status, 200, status.body);
        assert.equal(status.json.status, 'CREATED');
        assert.equal(status.json.service, service);
        assert.equal(status.json.totalFee, example.totalFeeBeforePayment);
      });
    }
  }

  test('the storefront names map to Alipay parameters (logistics options, showUrl, itBPay, extraCommonParam)', async () => {
    const escrow = paymentExample('trade_create_by_buyer');
    const res = await postPayment(escrow.body);
    assert.equal(res.status, 201, res.body);
    const f = res.json.form.fields;
    assert.deepEqual(
      [f.price, f.quantity, f.logistics_type, f.logistics_fee, f.logistics_payment, f.logistics_type_1, f.logistics_fee_1, f.logistics_payment_1],
      ['12.50', '1', 'EXPRESS', '0.00', 'SELLER_PAY', 'POST', '5.00', 'BUYER_PAY'],
    );
    const direct = paymentExample('create_direct_pay_by_user');
    const res2 = await postPayment(direct.body);
    assert.equal(res2.status, 201, res2.body);
    const g = res2.json.form.fields;
    assert.deepEqual([g.total_fee, g.show_url, g.it_b_pay, g.extra_common_param, g.buyer_email, g.payment_type], ['88.88', 'https://shop.example.com/items/42?ref=alipay', '30m', 'cart-42', 'buyer@example.com', '1']);
  });

  test('the same request again: 200 with the very same answer, one order', async () => {
    const { body } = paymentExample('create_partner_trade_by_buyer', { charset: 'gbk' });
    const first = await postPayment(body);
    assert.equal(first.status, 201, first.body);
    const before = await app.getOrder(body.outTradeNo as string);
    const again = await postPayment(body);
    assert.equal(again.status, 200, again.body);
    assert.deepEqual(again.json, first.json);
    // A retry whose body arrives base64-encoded is the same request.
    const third = await postPayment(body, { base64: true });
    assert.equal(third.status, 200, third.body);
    assert.deepEqual(third.json, first.json);
    assert.deepEqual(await app.getOrder(body.outTradeNo as string), before);
  });

  for (const [what, change] of [
    ['amount', { totalFee: '88.89' }],
    ['amount as price and quantity', { totalFee: undefined, price: '44.44', quantity: '2' }],
    ['service', { service: 'create_digital_goods_trade_p' }],
    ['subject', { subject: '另一个商品' }],
  ] as const) {
    test(`the same outTradeNo with a different ${what}: 409, the stored order unchanged`, async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      const outTradeNo = body.outTradeNo as string;
      assert.equal((await postPayment(body)).status, 201);
      const stored = await app.getOrder(outTradeNo);
      const res = await postPayment({ ...body, ...change });
      assert.equal(res.status, 409, res.body);
      assert.equal(res.json.error.code, 'ORDER_CONFLICT');
      assert.equal(res.json.error.field, 'outTradeNo');
      assert.match(res.json.error.message, new RegExp(outTradeNo));
      assert.deepEqual(await app.getOrder(outTradeNo), stored);
    });
  }

  for (const [what, change, code, field] of [
    ['an amount given as a number', { totalFee: 0.01 }, 'INVALID_PARAMETER', 'totalFee'],
    ['an amount with three decimals', { totalFee: '1.001' }, 'INVALID_PARAMETER', 'totalFee'],
    ['a zero amount', { totalFee: '0.00' }, 'INVALID_PARAMETER', 'totalFee'],
    ['an unknown service', { service: 'create_forex_trade' }, 'UNKNOWN_SERVICE', 'service'],
    ['no subject', { subject: undefined }, 'MISSING_PARAMETER', 'subject'],
    ['an outTradeNo with a space', { outTradeNo: 'bad id' }, 'INVALID_PARAMETER', 'outTradeNo'],
    ['a parameter set from configuration', { notifyUrl: 'https://evil.example.com/notify' }, 'INVALID_PARAMETER', 'notifyUrl'],
    ['an unknown charset', { charset: 'big5' }, 'UNSUPPORTED_CHARSET', 'charset'],
    ['text GBK cannot hold, in a GBK order', { charset: 'gbk', subject: 'emoji 🎁' }, 'UNENCODABLE_TEXT', 'subject'],
  ] as const) {
    test(`${what}: 400 naming the field, nothing written`, async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      const sent = { ...body, ...change };
      const res = await postPayment(sent);
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error.code, code);
      assert.equal(res.json.error.field, field);
      assert.equal(typeof res.json.error.message, 'string');
      assert.equal(await app.getOrder(body.outTradeNo as string), undefined);
    });
  }

  for (const [service, price, quantity] of [
    ['create_direct_pay_by_user', '100000000.00', '2'],
    ['create_digital_goods_trade_p', '99999999.99', '999999999'],
    ['create_partner_trade_by_buyer', '99999999.99', '999999999'],
  ] as const) {
    test(`${service}: price ${price} × quantity ${quantity} is above 100000000.00: 400 naming quantity, nothing written`, async () => {
      const example = paymentExample(service);
      const body = { ...example.body, totalFee: undefined, price, quantity };
      const res = await postPayment(body);
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error.code, 'INVALID_PARAMETER');
      assert.equal(res.json.error.field, 'quantity');
      assert.match(res.json.error.message, /must be at most 100000000\.00/);
      assert.equal((await getPayment(example.body.outTradeNo as string)).status, 404);
    });
  }

  for (const [what, change, field] of [
    ['a subject that would re-split the signed message', { subject: 'Tea&total_fee=12.34&trade_no=X&trade_status=TRADE_FINISHED&zz=' }, 'subject'],
    ['a body with "&"', { body: 'tea & cake' }, 'body'],
    ['a showUrl with "&"', { showUrl: 'https://shop.example.com/items/42?ref=alipay&utm_source=x' }, 'showUrl'],
  ] as const) {
    test(`${what}: 400 naming ${field}, nothing written`, async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      const res = await postPayment({ ...body, ...change });
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error.code, 'INVALID_PARAMETER');
      assert.equal(res.json.error.field, field);
      assert.match(res.json.error.message, /re-split/);
      assert.equal((await getPayment(body.outTradeNo as string)).status, 404);
    });
  }

  describe('escrow with a discount', () => {
    /** 100.00 × 1, EXPRESS 10.00 paid by the buyer, 20.00 off: Alipay charges (and notifies) 90.00. */
    const teaWithDiscount = (discount: string) => ({
      service: 'create_partner_trade_by_buyer', outTradeNo: newOutTradeNo(), subject: SUBJECT, price: '100.00', quantity: '1',
      logistics: [{ type: 'EXPRESS', fee: '10.00', payment: 'BUYER_PAY' }], discount,
    });

    test('discount -20.00: 201, the signed form carries it, and the order expects 90.00', async () => {
      const body = teaWithDiscount('-20.00');
      const res = await postPayment(body);
      assert.equal(res.status, 201, res.body);
      assert.equal(res.json.form.fields.discount, '-20.00');
      const status = await getPayment(body.outTradeNo);
      assert.equal(status.status, 200, status.body);
      assert.equal(status.json.totalFee, '90.00', 'price × quantity + BUYER_PAY logistics fee + discount');
    });

    test('a discount that leaves less than 0.01 to pay: 400 naming discount, nothing written', async () => {
      const body = teaWithDiscount('-110.00');
      const res = await postPayment(body);
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error.code, 'INVALID_PARAMETER');
      assert.equal(res.json.error.field, 'discount');
      assert.match(res.json.error.message, /below the minimum 0\.01/);
      assert.equal((await getPayment(body.outTradeNo)).status, 404);
    });
  });

  describe('input that must not slip through', () => {
    /** POST /payments with these exact bytes, as API Gateway hands over a body it does not take for text (base64). */
    async function postBytes(bytes: Buffer) {
      return readResult(await createPaymentHandler(httpEvent({
        method: 'POST', path: '/payments', routeKey: 'POST /payments',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${STOREFRONT_TOKEN}` },
        body: bytes, base64: true,
      })));
    }

    /** 400 with this code and field, and no order under outTradeNo. */
    async function assertRefused(res: Awaited<ReturnType<typeof postPayment>>, outTradeNo: string, code: string, field: string | undefined, message: RegExp) {
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error.code, code, res.body);
      assert.equal(res.json.error.field, field, res.body);
      assert.match(res.json.error.message, message);
      assert.equal((await getPayment(outTradeNo)).status, 404, 'no order was created');
    }

    test('a body that is not valid UTF-8: 400 INVALID_JSON with the byte offset, not a subject stored with U+FFFD', async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      // A real U+FFFD first (valid UTF-8, 3 bytes), then a lone 0xFF: the offset must point at the 0xFF.
      const json = Buffer.from(JSON.stringify({ ...body, subject: '\uFFFD tea XX' }), 'utf8');
      const at = json.indexOf('XX');
      json[at] = 0xff;
      const res = await postBytes(json);
      await assertRefused(res, body.outTradeNo as string, 'INVALID_JSON', undefined, new RegExp(`not valid UTF-8.*offset ${at}\\b`));
    });

    test('a body that is valid UTF-8 with a U+FFFD character in it is still read', async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      const res = await postBytes(Buffer.from(JSON.stringify({ ...body, subject: 'tea \uFFFD' }), 'utf8'));
      assert.equal(res.status, 201, res.body);
    });

    for (const [what, field, value] of [
      ['a line feed', 'subject', 'Tea\ncake'],
      ['a carriage return', 'subject', 'Tea\r'],
      ['NUL', 'subject', 'Tea\u0000'],
      ['a tab', 'subject', 'Tea\tcake'],
      ['DEL', 'subject', 'Tea\u007F'],
      ['a C1 control (NEL)', 'body', 'Tea\u0085cake'],
      ['a right-to-left override', 'subject', 'Tea \u202Egpj.exe'],
      ['a first-strong isolate', 'body', 'Tea \u2068x\u2069'],
      ['a right-to-left mark', 'subject', 'Tea \u200F'],
    ] as const) {
      test(`${what} in ${field}: 400 naming ${field}, nothing written`, async () => {
        const { body } = paymentExample('create_direct_pay_by_user');
        const res = await postPayment({ ...body, [field]: value });
        await assertRefused(res, body.outTradeNo as string, 'INVALID_PARAMETER', field, /U\+[0-9A-F]{4}/);
      });
    }

    for (const key of ['__proto__', 'constructor', 'prototype']) {
      for (const [shape, value] of [['an object', '{"seller_id":"2088101568358171"}'], ['a string', '"x"'], ['an empty object', '{}']] as const) {
        test(`"${key}" as a key, with ${shape}: 400 naming ${key}, nothing written`, async () => {
          const { body } = paymentExample('create_direct_pay_by_user');
          const text = JSON.stringify(body).replace(/}$/, `,"${key}":${value}}`);
          await assertRefused(await postPayment(text), body.outTradeNo as string, 'UNKNOWN_PARAMETER', key, new RegExp(key));
        });
      }
    }

    test('"__proto__" inside a logistics option: 400 naming logistics, nothing written', async () => {
      const { body } = paymentExample('create_partner_trade_by_buyer');
      const text = JSON.stringify(body).replace('"payment":"BUYER_PAY"}', '"payment":"BUYER_PAY","__proto__":{"type":"EMS"}}');
      assert.ok(text.includes('__proto__'));
      await assertRefused(await postPayment(text), body.outTradeNo as string, 'UNKNOWN_PARAMETER', 'logistics', /logistics\[0\]\.__proto__/);
    });

    test('an unknown key in a logistics option is refused rather than ignored', async () => {
      const { body } = paymentExample('create_partner_trade_by_buyer');
      const res = await postPayment({ ...body, logistics: [{ type: 'EXPRESS', fee: '10.00', payment: 'BUYER_PAY', payer: 'SELLER' }] });
      await assertRefused(res, body.outTradeNo as string, 'UNKNOWN_PARAMETER', 'logistics', /logistics\[0\]\.payer .*type, fee, payment/);
    });

    for (const [what, extra, before] of [
      ['logisticsType before logistics', { logisticsType: 'EMS' }, true],
      ['logisticsType after logistics', { logisticsType: 'EMS' }, false],
      ['logisticsFee', { logisticsFee: '99.00' }, false],
      ['logisticsPayment1', { logisticsPayment1: 'SELLER_PAY' }, true],
    ] as const) {
      test(`${what} together with logistics: 400 CONFLICTING_PARAMETERS naming logistics, nothing written`, async () => {
        const { body } = paymentExample('create_partner_trade_by_buyer');
        const sent = before ? { ...extra, ...body } : { ...body, ...extra };
        await assertRefused(await postPayment(sent), body.outTradeNo as string, 'CONFLICTING_PARAMETERS', 'logistics', /logistics.*either/);
      });
    }
  });

  test('a body that is not a JSON object: 400', async () => {
    for (const text of ['{"service":', '[1,2]', 'null']) {
      const res = await postPayment(text);
      assert.equal(res.status, 400, res.body);
      assert.equal(res.json.error.code, 'INVALID_JSON');
    }
  });

  for (const [what, token] of [['no Authorization header', null], ['a wrong token', 'storefront-test-token-wrong-0000'], ['an empty bearer', '']] as const) {
    test(`${what}: 401, nothing written (GET then says 404)`, async () => {
      const { body } = paymentExample('create_direct_pay_by_user');
      const res = await postPayment(body, { token });
      assert.equal(res.status, 401, res.body);
      assert.equal(res.json.error.code, 'UNAUTHORIZED');
      const status = await getPayment(body.outTradeNo as string);
      assert.equal(status.status, 404, status.body);
    });
  }

  test('the key and the token never reach the logs', async () => {
    await postPayment(paymentExample('create_direct_pay_by_user').body);
    await postPayment({ service: 'create_direct_pay_by_user', outTradeNo: newOutTradeNo() }, { token: 'wrong-token-wrong-token' });
    assert.ok(logs.lines.length > 0);
    for (const line of logs.lines) {
      assert.ok(!line.includes(TEST_KEY), `a log line contains the key: ${line}`);
      assert.ok(!line.includes(app.env.STOREFRONT_TOKEN!), `a log line contains the token: ${line}`);
    }
  });
});
