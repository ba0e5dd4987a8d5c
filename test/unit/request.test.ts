// Signed gateway requests (protocol doc §0, §1, §2): the redirect URL, the auto-submit form, and what the builder fills in.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import type { Charset } from '../../shared/alipay/charset.ts';
import { parseFormBytes } from '../../shared/alipay/form.ts';
import { byteParamsFromForm, decodeParams, type ByteParams } from '../../shared/alipay/params.ts';
import { verifyBytes } from '../../shared/alipay/sign.ts';
import {
  buildGatewayRequest,
  buildPaymentRequest,
  DEFAULT_GATEWAY_URL,
  renderAutoSubmitForm,
  type PaymentRequestInput,
} from '../../shared/alipay/request.ts';
import { assertAlipayError } from '../support/assert-alipay-error.ts';
import { A3_PARAMS } from '../support/vectors.ts';

/** chloerei/alipay's test key: "1" followed by 31 "0" (also a well-formed 32-character key). */
const KEY_1 = '10000000000000000000000000000000';
const PARTNER = '2088101568358171';

function md5Of(text: string, charset: Charset): string {
  return createHash('md5').update(charset === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gbk')).digest('hex');
}

/** The query string of a URL, parsed the way the gateway (or a notification handler) reads it: as bytes. */
function queryParams(url: string): ByteParams {
  return byteParamsFromForm(parseFormBytes(Buffer.from(url.slice(url.indexOf('?') + 1), 'latin1')));
}

describe('buildGatewayRequest reproduces vector A3 (chloerei create_partner_trade_by_buyer)', () => {
  const params = A3_PARAMS;
  const expectedUrl =
    'https://mapi.alipay.com/gateway.do?service=create_partner_trade_by_buyer&_input_charset=utf-8&partner=1000000000000000&seller_id=1000000000000000&payment_type=1&out_trade_no=1&subject=test&logistics_type=POST&logistics_fee=0&logistics_payment=SELLER_PAY&price=0.01&quantity=1&sign_type=MD5&sign=b5d30863b44acd8514a49b0320fb2aa2';
  const request = buildGatewayRequest({ params, key: KEY_1, charset: 'utf-8' });

  test('the URL carries the same parameters as the published one (order aside), signed b5d30863…', () => {
    assert.ok(request.url.startsWith(`${DEFAULT_GATEWAY_URL}?`));
    const sorted = (p: ByteParams) => Object.entries(decodeParams(p, 'utf-8')).sort();
    assert.deepEqual(sorted(queryParams(request.url)), sorted(queryParams(expectedUrl)));
    assert.equal(queryParams(request.url).get('sign')?.toString('latin1'), 'b5d30863b44acd8514a49b0320fb2aa2');
  });

  test('the presign is the published signed string', () => {
    assert.equal(
      request.presign,
      '_input_charset=utf-8&logistics_fee=0&logistics_payment=SELLER_PAY&logistics_type=POST&out_trade_no=1&partner=1000000000000000&payment_type=1&price=0.01&quantity=1&seller_id=1000000000000000&service=create_partner_trade_by_buyer&subject=test',
    );
  });

  test('the form posts to the gateway with _input_charset in the action query string', () => {
    assert.equal(request.form.action, 'https://mapi.alipay.com/gateway.do?_input_charset=utf-8');
    assert.equal(request.form.method, 'POST');
    assert.equal(request.form.acceptCharset, 'utf-8');
    assert.deepEqual(request.form.fields, { ...params, sign: 'b5d30863b44acd8514a49b0320fb2aa2', sign_type: 'MD5' });
  });

  test('service=trade_create_by_buyer signs as 2d296368…', () => {
    const dual = buildGatewayRequest({ params: { ...params, service: 'trade_create_by_buyer' }, key: KEY_1, charset: 'utf-8' });
    assert.equal(dual.form.fields.sign, '2d296368fea70a127da939558c970bab');
  });
});

describe('buildGatewayRequest', () => {
  const params = { service: 'create_direct_pay_by_user', partner: PARTNER, _input_charset: 'gbk', out_trade_no: 'A-1', subject: '测试', total_fee: '0.01' };

  test('a GBK request percent-encodes the GBK bytes of Chinese text: 测试 → %B2%E2%CA%D4', () => {
    const { url } = buildGatewayRequest({ params, key: KEY_1, charset: 'gbk' });
    assert.match(url, /[?&]subject=%B2%E2%CA%D4(&|$)/);
  });

  test('the same subject in a UTF-8 request is %E6%B5%8B%E8%AF%95', () => {
    const { url } = buildGatewayRequest({ params: { ...params, _input_charset: 'utf-8' }, key: KEY_1, charset: 'utf-8' });
    assert.match(url, /[?&]subject=%E6%B5%8B%E8%AF%95(&|$)/);
  });

  test('form fields hold raw text (the browser encodes it), plus sign and sign_type=MD5', () => {
    const { form, presign } = buildGatewayRequest({ params, key: KEY_1, charset: 'gbk' });
    assert.equal(form.fields.subject, '测试');
    assert.equal(form.fields.sign_type, 'MD5');
    assert.equal(form.fields.sign, md5Of(presign + KEY_1, 'gbk'));
    assert.equal(form.action, `${DEFAULT_GATEWAY_URL}?_input_charset=gbk`);
    assert.equal(form.acceptCharset, 'gbk');
  });

  test('empty values and a stale sign/sign_type are neither sent nor signed', () => {
    const { form, url, presign } = buildGatewayRequest({ params: { ...params, body: '', sign: 'stale', sign_type: 'RSA' }, key: KEY_1, charset: 'gbk' });
    assert.equal('body' in form.fields, false);
    assert.doesNotMatch(url, /[?&]body=/);
    assert.doesNotMatch(presign, /body|sign/);
    assert.equal(form.fields.sign_type, 'MD5');
    assert.notEqual(form.fields.sign, 'stale');
  });

  test('_input_charset must match the charset the request is encoded in', () => {
    assertAlipayError(() => buildGatewayRequest({ params, key: KEY_1, charset: 'utf-8' }), 'CONFLICTING_PARAMETERS', '_input_charset');
  });

  test('a gateway URL with a query string is refused', () => {
    assertAlipayError(
      () => buildGatewayRequest({ params, key: KEY_1, charset: 'gbk', gatewayUrl: 'https://mapi.alipay.com/gateway.do?x=1' }),
      'INVALID_PARAMETER',
      'gatewayUrl',
    );
  });
});

describe('buildPaymentRequest', () => {
  const base: PaymentRequestInput = {
    service: 'create_direct_pay_by_user',
    params: { out_trade_no: '20150401000-0001', subject: '测试商品', total_fee: '0.01', body: '' },
    partner: PARTNER,
    key: KEY_1,
    charset: 'utf-8',
    notifyUrl: 'https://example.com/alipay/notify',
    returnUrl: 'https://example.com/alipay/return',
  };

  test('reproduces derived vector D (Chinese subject): UTF-8 d9246ea4…', () => {
    const r = buildPaymentRequest(base);
    assert.equal(
      r.presign,
      '_input_charset=utf-8&notify_url=https://example.com/alipay/notify&out_trade_no=20150401000-0001&partner=2088101568358171&payment_type=1&return_url=https://example.com/alipay/return&seller_id=2088101568358171&service=create_direct_pay_by_user&subject=测试商品&total_fee=0.01',
    );
    assert.equal(r.form.fields.sign, 'd9246ea4ca25643b09006d7e328d7a39');
  });

  test('reproduces derived vector D in GBK: 6b52447b…', () => {
    assert.equal(buildPaymentRequest({ ...base, charset: 'gbk' }).form.fields.sign, '6b52447bad3ab61f8b98da515d998f63');
  });

  test('fills in partner, seller_id (= partner), payment_type=1 and _input_charset, and normalises amounts', () => {
    const r = buildPaymentRequest({ ...base, params: { out_trade_no: 'A-1', subject: 'Tea', total_fee: '10.5' }, notifyUrl: undefined, returnUrl: undefined });
    assert.deepEqual(r.params, {
      service: 'create_direct_pay_by_user',
      partner: PARTNER,
      _input_charset: 'utf-8',
      payment_type: '1',
      seller_id: PARTNER,
      out_trade_no: 'A-1',
      subject: 'Tea',
      total_fee: '10.50',
    });
    assert.equal(r.form.fields.total_fee, '10.50');
  });

  test('sellerId overrides the default seller; a caller-supplied seller_email replaces seller_id', () => {
    assert.equal(buildPaymentRequest({ ...base, sellerId: '2088000000000001' }).params.seller_id, '2088000000000001');
    const byEmail = buildPaymentRequest({ ...base, params: { ...base.params, seller_email: 'shop@example.com' } }).params;
    assert.equal(byEmail.seller_email, 'shop@example.com');
    assert.equal('seller_id' in byEmail, false);
  });

  for (const name of ['partner', 'sign', 'service', '_input_charset', 'notify_url', 'sign_type']) {
    test(`refuses a caller-supplied ${name}: it comes from configuration`, () => {
      const err = assertAlipayError(() => buildPaymentRequest({ ...base, params: { ...base.params, [name]: 'x' } }), 'INVALID_PARAMETER', name);
      assert.match(err.message, /set by the request builder from configuration/);
    });
  }

  test('refuses a partner id that is not 2088 + 12 digits with INVALID_CONFIG', () => {
    assertAlipayError(() => buildPaymentRequest({ ...base, partner: 'shop@example.com' }), 'INVALID_CONFIG', 'partner');
    assertAlipayError(() => buildPaymentRequest({ ...base, partner: '1000000000000000' }), 'INVALID_CONFIG', 'partner');
  });

  test('refuses a malformed key with INVALID_CONFIG', () => {
    assertAlipayError(() => buildPaymentRequest({ ...base, key: KEY_1.slice(1) }), 'INVALID_CONFIG', 'key');
    assertAlipayError(() => buildPaymentRequest({ ...base, key: `${KEY_1}\n` }), 'INVALID_CONFIG', 'key');
  });

  test('passes the service rules through: a notify_url with a query string is refused', () => {
    assertAlipayError(() => buildPaymentRequest({ ...base, notifyUrl: 'https://example.com/notify?order=1' }), 'INVALID_PARAMETER', 'notify_url');
  });
});

describe('renderAutoSubmitForm', () => {
  const { form } = buildPaymentRequest({
    service: 'create_direct_pay_by_user',
    params: { out_trade_no: 'A-1', subject: `Tom's "<b>tea</b>" ＆ cake`, total_fee: '1' },
    partner: PARTNER,
    key: KEY_1,
    charset: 'gbk',
  });
  const html = renderAutoSubmitForm(form);

  test('HTML-escapes every value once, so the browser submits exactly what was signed', () => {
    assert.ok(html.includes('name="subject" value="Tom&#39;s &quot;&lt;b&gt;tea&lt;/b&gt;&quot; ＆ cake"'), html);
    assert.equal(html.includes('<b>tea'), false);
  });

  test('escapes "&" exactly once (no signed value carries one, but a hand-made form may)', () => {
    const page = renderAutoSubmitForm({ ...form, fields: { note: 'a & b &amp; c' } });
    assert.ok(page.includes('name="note" value="a &amp; b &amp;amp; c"'), page);
  });

  test('posts to the action with accept-charset set to the request charset, and includes sign and sign_type', () => {
    assert.ok(html.includes('action="https://mapi.alipay.com/gateway.do?_input_charset=gbk" method="POST" accept-charset="gbk"'), html);
    assert.ok(html.includes(`name="sign" value="${form.fields.sign}"`));
    assert.ok(html.includes('name="sign_type" value="MD5"'));
  });

  test('has one hidden input per field', () => {
    assert.equal(html.match(/<input type="hidden"/g)?.length, Object.keys(form.fields).length);
  });
});

describe('round trip: the built URL, parsed as bytes, verifies with the key', () => {
  for (const charset of ['utf-8', 'gbk'] as const) {
    test(`${charset}: a Chinese subject and a space survive encoding, and the sign verifies`, () => {
      const { url } = buildPaymentRequest({
        service: 'create_direct_pay_by_user',
        params: { out_trade_no: 'A-1', subject: '测试 商品 + more%20', total_fee: '12.3' },
        partner: PARTNER,
        key: KEY_1,
        charset,
      });
      const received = queryParams(url);
      assert.deepEqual(verifyBytes(received, KEY_1), { valid: true });
      assert.equal(decodeParams(received, charset).subject, '测试 商品 + more%20');
      assert.equal(verifyBytes(received, '20000000000000000000000000000000').valid, false);
    });
  }

  test('property: any subject of ASCII and Chinese text round-trips and verifies in either charset', () => {
    // "&" and "=" are refused in a subject (they could re-split the signed message); every other printable ASCII character is fair.
    const ascii = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => c !== '&' && c !== '=');
    const unit = fc.oneof(ascii, fc.constantFrom('测', '试', '商', '品', '毛', '买', '家', '，'));
    const subject = fc.string({ unit, minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '');
    fc.assert(
      fc.property(subject, fc.constantFrom<Charset>('utf-8', 'gbk'), (text, charset) => {
        const { url } = buildPaymentRequest({
          service: 'create_direct_pay_by_user',
          params: { out_trade_no: 'P-1', subject: text, total_fee: '0.01' },
          partner: PARTNER,
          key: KEY_1,
          charset,
        });
        const received = queryParams(url);
        assert.deepEqual(verifyBytes(received, KEY_1), { valid: true });
        assert.equal(decodeParams(received, charset).subject, text);
      }),
    );
  });
});
