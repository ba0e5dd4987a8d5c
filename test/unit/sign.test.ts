// The legacy MD5 signature: published vectors (protocol doc §9), the presign rules (§1) and byte-level verification (§3.3).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import {
  md5Hex,
  presignBytes,
  signBytes,
  signedNames,
  signParams,
  verifyBytes,
  type VerifyFailure,
} from '../../shared/alipay/sign.ts';
import { byteParamsFromForm, byteParamsFromStrings, textParam, type ByteParams } from '../../shared/alipay/params.ts';
import { parseFormBytes } from '../../shared/alipay/form.ts';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { assertAlipayError } from '../support/assert-alipay-error.ts';
import { A3_PARAMS } from '../support/vectors.ts';

/** chloerei/alipay's test key: "1" followed by 31 "0". */
const KEY_1 = '10000000000000000000000000000000';
const KEY_2 = '20000000000000000000000000000000';

/** The oracle for every expected sign: md5 over (presign + key) encoded in the charset, lowercase hex. */
function md5Of(text: string, charset: 'utf-8' | 'gbk' = 'utf-8'): string {
  const bytes = charset === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gbk');
  return createHash('md5').update(bytes).digest('hex');
}

/** A received message: string params plus sign and sign_type, as bytes (the shape verifyBytes sees). */
function received(params: Record<string, string>, charset: 'utf-8' | 'gbk' = 'utf-8'): Map<string, Buffer> {
  return new Map(byteParamsFromStrings(params, charset));
}

/** Signs the params and returns them as a received message carrying sign and sign_type=MD5. */
function signedMessage(params: Record<string, string>, key: string, charset: 'utf-8' | 'gbk' = 'utf-8'): Map<string, Buffer> {
  const { sign } = signParams(params, key, charset);
  return received({ ...params, sign, sign_type: 'MD5' }, charset);
}

function failureOf(params: ByteParams, key: string): VerifyFailure | undefined {
  const result = verifyBytes(params, key);
  return result.valid ? undefined : result.reason;
}

/** Parses the query string of a URL the way a notification body is parsed: raw bytes in, byte params out. */
function paramsOfUrl(url: string): ByteParams {
  const query = url.slice(url.indexOf('?') + 1);
  return byteParamsFromForm(parseFormBytes(Buffer.from(query, 'latin1')));
}

describe('published vectors (protocol doc §9)', () => {
  describe('A1 chloerei sign_test: {service: "test", partner: "123"}', () => {
    const params = { service: 'test', partner: '123' };

    test('given key 1000…0, the presign is "partner=123&service=test" and the sign bbd13b52…', () => {
      assert.deepEqual(signParams(params, KEY_1, 'utf-8'), {
        presign: 'partner=123&service=test',
        sign: 'bbd13b52823b576291595f472ebcfbc2',
      });
    });

    test('given key 2000…0, the same presign signs as 6d581af2…', () => {
      assert.deepEqual(signParams(params, KEY_2, 'utf-8'), {
        presign: 'partner=123&service=test',
        sign: '6d581af270c023fdaaca6880491e9bf7',
      });
    });

    test('given the published sign, verification passes with key 1 and fails with key 2', () => {
      const msg = received({ ...params, sign: 'bbd13b52823b576291595f472ebcfbc2', sign_type: 'MD5' });
      assert.deepEqual(verifyBytes(msg, KEY_1), { valid: true });
      assert.equal(failureOf(msg, KEY_2), 'mismatch');
    });

    test('given an extra parameter danger=danger, the published sign no longer verifies', () => {
      const msg = received({ ...params, danger: 'danger', sign: 'bbd13b52823b576291595f472ebcfbc2', sign_type: 'MD5' });
      assert.equal(failureOf(msg, KEY_1), 'mismatch');
    });

    test('given sign "danger", verification fails (it is not even an MD5 digest)', () => {
      const msg = received({ ...params, sign: 'danger', sign_type: 'MD5' });
      assert.equal(failureOf(msg, KEY_1), 'malformed_sign');
    });
  });

  test('A2 chloerei notify_test: {notify_id: "1234"} signs as 22fc7e38…, and sign/sign_type are not signed', () => {
    const msg = received({ notify_id: '1234', sign_type: 'MD5', sign: '22fc7e38e5acdfede396aa463870d111' });
    assert.equal(presignBytes(msg).toString('utf8'), 'notify_id=1234');
    assert.equal(signBytes(msg, KEY_1), '22fc7e38e5acdfede396aa463870d111');
    assert.deepEqual(verifyBytes(msg, KEY_1), { valid: true });
  });

  describe('A3 chloerei create_partner_trade_by_buyer / trade_create_by_buyer', () => {
    const params = A3_PARAMS;
    const presign =
      '_input_charset=utf-8&logistics_fee=0&logistics_payment=SELLER_PAY&logistics_type=POST&out_trade_no=1&partner=1000000000000000&payment_type=1&price=0.01&quantity=1&seller_id=1000000000000000&service=create_partner_trade_by_buyer&subject=test';
    const expectedUrl =
      'https://mapi.alipay.com/gateway.do?service=create_partner_trade_by_buyer&_input_charset=utf-8&partner=1000000000000000&seller_id=1000000000000000&payment_type=1&out_trade_no=1&subject=test&logistics_type=POST&logistics_fee=0&logistics_payment=SELLER_PAY&price=0.01&quantity=1&sign_type=MD5&sign=b5d30863b44acd8514a49b0320fb2aa2';

    test('given service=create_partner_trade_by_buyer, the sign is b5d30863…', () => {
      assert.deepEqual(signParams(params, KEY_1, 'utf-8'), { presign, sign: 'b5d30863b44acd8514a49b0320fb2aa2' });
    });

    test('given service=trade_create_by_buyer, the sign is 2d296368…', () => {
      const signed = signParams({ ...params, service: 'trade_create_by_buyer' }, KEY_1, 'utf-8');
      assert.equal(signed.presign, presign.replace('service=create_partner_trade_by_buyer', 'service=trade_create_by_buyer'));
      assert.equal(signed.sign, '2d296368fea70a127da939558c970bab');
    });

    test('given the published URL, parsing its query as bytes and verifying it passes', () => {
      const fromUrl = paramsOfUrl(expectedUrl);
      assert.equal(presignBytes(fromUrl).toString('utf8'), presign);
      assert.deepEqual(verifyBytes(fromUrl, KEY_1), { valid: true });
      assert.equal(failureOf(fromUrl, KEY_2), 'mismatch');
    });
  });

  describe('A4 chloerei create_direct_pay_by_user', () => {
    const base = {
      _input_charset: 'utf-8',
      out_trade_no: '1',
      partner: '1000000000000000',
      payment_type: '1',
      seller_id: '1000000000000000',
      subject: 'test',
    };

    test('given price and quantity, the sign is 682ad022…', () => {
      assert.deepEqual(signParams({ ...base, service: 'create_direct_pay_by_user', price: '0.01', quantity: '1' }, KEY_1, 'utf-8'), {
        presign:
          '_input_charset=utf-8&out_trade_no=1&partner=1000000000000000&payment_type=1&price=0.01&quantity=1&seller_id=1000000000000000&service=create_direct_pay_by_user&subject=test',
        sign: '682ad02280fca7d4c0fd22678fdddeef',
      });
    });

    test('given the WAP service with total_fee, the sign is 6530de6e…', () => {
      assert.deepEqual(signParams({ ...base, service: 'alipay.wap.create.direct.pay.by.user', total_fee: '0.01' }, KEY_1, 'utf-8'), {
        presign:
          '_input_charset=utf-8&out_trade_no=1&partner=1000000000000000&payment_type=1&seller_id=1000000000000000&service=alipay.wap.create.direct.pay.by.user&subject=test&total_fee=0.01',
        sign: '6530de6e3cba153cd4ca7edc48b91f96',
      });
    });
  });

  // A5 is also the base of the derived vectors in D.
  const a5 = {
    service: 'batch_trans_notify',
    _input_charset: 'utf-8',
    partner: '1000000000000000',
    pay_date: '20080107',
    notify_url: 'https://example.com/orders/20150401000-0001/notify',
    account_name: '毛毛',
    detail_data: '0315006^testture0002@126.com^常炜买家^1000.00^hello',
    batch_no: '20080107001',
    batch_num: '1',
    batch_fee: '1000.0',
    email: 'biz_932@alitest.com',
  };
  const a5Presign =
    '_input_charset=utf-8&account_name=毛毛&batch_fee=1000.0&batch_no=20080107001&batch_num=1&detail_data=0315006^testture0002@126.com^常炜买家^1000.00^hello&email=biz_932@alitest.com&notify_url=https://example.com/orders/20150401000-0001/notify&partner=1000000000000000&pay_date=20080107&service=batch_trans_notify';

  test('A5 chloerei batch_trans_notify: UTF-8 Chinese values and batch_fee "1000.0" sign as 59c61160…', () => {
    assert.deepEqual(signParams(a5, KEY_1, 'utf-8'), { presign: a5Presign, sign: '59c611607daafd1337e96b22404bd521' });
  });

  test('A6 chloerei refund_fastpay_by_platform_pwd: the space in refund_date is signed raw, not as "+" or %20', () => {
    const params = {
      service: 'refund_fastpay_by_platform_pwd',
      _input_charset: 'utf-8',
      partner: '1000000000000000',
      seller_user_id: '1000000000000000',
      refund_date: '2015-01-01 00:00:00',
      batch_num: '1',
      detail_data: '1^0.01^test',
      batch_no: '123456789',
      notify_url: '/some_url',
    };
    assert.deepEqual(signParams(params, KEY_1, 'utf-8'), {
      presign:
        '_input_charset=utf-8&batch_no=123456789&batch_num=1&detail_data=1^0.01^test&notify_url=/some_url&partner=1000000000000000&refund_date=2015-01-01 00:00:00&seller_user_id=1000000000000000&service=refund_fastpay_by_platform_pwd',
      sign: 'def57a58e1ac21f70c45e41bd3697368',
    });
  });

  describe('A7 chloerei forex services (params from the expected URLs in test/alipay/service_test.rb)', () => {
    test('create_forex_trade signs as f24fd4d7…', () => {
      const params = {
        service: 'create_forex_trade',
        _input_charset: 'utf-8',
        partner: '1000000000000000',
        notify_url: 'https://example.com/notify',
        subject: 'test',
        out_trade_no: '1',
        currency: 'EUR',
        total_fee: '0.01',
      };
      assert.deepEqual(signParams(params, KEY_1, 'utf-8'), {
        presign:
          '_input_charset=utf-8&currency=EUR&notify_url=https://example.com/notify&out_trade_no=1&partner=1000000000000000&service=create_forex_trade&subject=test&total_fee=0.01',
        sign: 'f24fd4d76acabf860263a40805138380',
      });
    });

    test('forex_refund signs as c9681fff…', () => {
      const params = {
        service: 'forex_refund',
        partner: '1000000000000000',
        _input_charset: 'utf-8',
        gmt_return: '20150101000000',
        out_return_no: '1',
        out_trade_no: '12345678980',
        return_amount: '0.01',
        currency: 'USD',
        reason: 'reason',
      };
      assert.deepEqual(signParams(params, KEY_1, 'utf-8'), {
        presign:
          '_input_charset=utf-8&currency=USD&gmt_return=20150101000000&out_return_no=1&out_trade_no=12345678980&partner=1000000000000000&reason=reason&return_amount=0.01&service=forex_refund',
        sign: 'c9681fff5505fe993d1b2b8141308d0d',
      });
    });

    test('create_forex_trade_wap with subject "Order Name" (a raw space) signs as f15d9e3d…, and its URL (with "+") verifies', () => {
      const params = {
        service: 'create_forex_trade_wap',
        _input_charset: 'utf-8',
        partner: '1000000000000000',
        seller_id: '1000000000000000',
        out_trade_no: '20150401000-0001',
        subject: 'Order Name',
        merchant_url: 'http://example.com/itemback',
        total_fee: '10.00',
        currency: 'USD',
        return_url: 'https://example.com/orders/20150401000-0001',
        notify_url: 'https://example.com/orders/20150401000-0001/notify',
      };
      const signed = signParams(params, KEY_1, 'utf-8');
      assert.equal(
        signed.presign,
        '_input_charset=utf-8&currency=USD&merchant_url=http://example.com/itemback&notify_url=https://example.com/orders/20150401000-0001/notify&out_trade_no=20150401000-0001&partner=1000000000000000&return_url=https://example.com/orders/20150401000-0001&seller_id=1000000000000000&service=create_forex_trade_wap&subject=Order Name&total_fee=10.00',
      );
      assert.equal(signed.sign, 'f15d9e3d885c12f1a994048342c07bef');

      const url =
        'https://mapi.alipay.com/gateway.do?service=create_forex_trade_wap&_input_charset=utf-8&partner=1000000000000000&seller_id=1000000000000000&out_trade_no=20150401000-0001&subject=Order+Name&merchant_url=http%3A%2F%2Fexample.com%2Fitemback&total_fee=10.00&currency=USD&return_url=https%3A%2F%2Fexample.com%2Forders%2F20150401000-0001&notify_url=https%3A%2F%2Fexample.com%2Forders%2F20150401000-0001%2Fnotify&sign_type=MD5&sign=f15d9e3d885c12f1a994048342c07bef';
      assert.deepEqual(verifyBytes(paramsOfUrl(url), KEY_1), { valid: true });
    });
  });

  test('B omnipay: an empty value (dd="") is dropped from the presign', () => {
    assert.deepEqual(signParams({ aaa: '111', bbb: '2222', ccc: '3333', dd: '', ggg: '1' }, 'hello', 'utf-8'), {
      presign: 'aaa=111&bbb=2222&ccc=3333&ggg=1',
      sign: '7e63e20bcc6ad2ba695305e340592ffd',
    });
  });

  test('E odoo notification: spaces in values, sign_type in the input is not signed, the sign is 782b6d10…', () => {
    const notification = {
      currency: 'CNY',
      notify_id: '1234567890123456789012345678901234',
      notify_time: '2021-12-01 01:01:01',
      notify_type: 'trade_status_sync',
      out_trade_no: 'Test Transaction',
      total_fee: '1111.11',
      trade_no: '2021111111111111111111111111',
      trade_status: 'TRADE_FINISHED',
      sign_type: 'MD5',
    };
    assert.deepEqual(signParams(notification, 'dummy', 'utf-8'), {
      presign:
        'currency=CNY&notify_id=1234567890123456789012345678901234&notify_time=2021-12-01 01:01:01&notify_type=trade_status_sync&out_trade_no=Test Transaction&total_fee=1111.11&trade_no=2021111111111111111111111111&trade_status=TRADE_FINISHED',
      sign: '782b6d1015549f847e2ab27d1edb65c7',
    });
    const msg = received({ ...notification, sign: '782b6d1015549f847e2ab27d1edb65c7' });
    assert.deepEqual(verifyBytes(msg, 'dummy'), { valid: true });
  });

  test('F direct-alipay: _input_charset "UTF-8" (upper case) is signed as the value it is, sign e135712a…', () => {
    const params = {
      service: 'create_direct_pay_by_user',
      partner: '2088911275465084',
      seller_email: 'jyjjh@mail.ccnu.edu.cn',
      notify_url: 'http://127.0.0.1:3000/notify',
      payment_type: '1',
      _input_charset: 'UTF-8',
      out_trade_no: 'out_trade_no',
      subject: 'subject',
      body: 'body',
      total_fee: '1',
    };
    assert.deepEqual(signParams(params, 'tws3ri4d3sg8ohc4t7k9dnj8kumvia05', 'utf-8'), {
      presign:
        '_input_charset=UTF-8&body=body&notify_url=http://127.0.0.1:3000/notify&out_trade_no=out_trade_no&partner=2088911275465084&payment_type=1&seller_email=jyjjh@mail.ccnu.edu.cn&service=create_direct_pay_by_user&subject=subject&total_fee=1',
      sign: 'e135712a2e345760594831d16124f1b7',
    });
  });

  describe('D derived vectors (computed for this project)', () => {
    test('given A5 signed over GBK bytes (same params), the sign is 17946e15…, not the UTF-8 59c61160…', () => {
      const gbk = signParams(a5, KEY_1, 'gbk');
      assert.equal(gbk.presign, a5Presign);
      assert.equal(gbk.sign, '17946e15019b9f3d628429b944a05a88');
    });

    test('given A5 with values percent-encoded before signing (the classic mistake), the sign is 26c552bc…, not 59c61160…', () => {
      const encoded = Object.fromEntries(Object.entries(a5).map(([k, v]) => [k, encodeURIComponent(v)]));
      const wrong = signParams(encoded, KEY_1, 'utf-8');
      assert.equal(wrong.sign, '26c552bc9d912e326f264a6d1d746826');
      assert.notEqual(wrong.sign, signParams(a5, KEY_1, 'utf-8').sign);
    });

    const directPay = {
      service: 'create_direct_pay_by_user',
      _input_charset: 'utf-8',
      partner: '2088101568358171',
      seller_id: '2088101568358171',
      payment_type: '1',
      out_trade_no: '20150401000-0001',
      subject: '测试商品',
      body: '',
      total_fee: '0.01',
      notify_url: 'https://example.com/alipay/notify',
      return_url: 'https://example.com/alipay/return',
    };
    const directPayPresign = (charset: string) =>
      `_input_charset=${charset}&notify_url=https://example.com/alipay/notify&out_trade_no=20150401000-0001&partner=2088101568358171&payment_type=1&return_url=https://example.com/alipay/return&seller_id=2088101568358171&service=create_direct_pay_by_user&subject=测试商品&total_fee=0.01`;

    test('given create_direct_pay_by_user with a Chinese subject in UTF-8, body="" is dropped and the sign is d9246ea4…', () => {
      assert.deepEqual(signParams(directPay, KEY_1, 'utf-8'), {
        presign: directPayPresign('utf-8'),
        sign: 'd9246ea4ca25643b09006d7e328d7a39',
      });
    });

    test('given the same order with _input_charset=gbk and GBK bytes, the sign is 6b52447b…', () => {
      assert.deepEqual(signParams({ ...directPay, _input_charset: 'gbk' }, KEY_1, 'gbk'), {
        presign: directPayPresign('gbk'),
        sign: '6b52447bad3ab61f8b98da515d998f63',
      });
    });

    // The OMNIPAY return-URL vector (b3f16f3e…) is skipped: the doc elides most of its parameter values.
  });
});

describe('presign rules (§1)', () => {
  test('given upper-case, underscore and numbered names, they sort by byte: "Z" < "_" < "a", and "a10" < "a2"', () => {
    const params = received({ b: '5', a2: '4', a10: '3', _x: '2', Zed: '1' });
    assert.deepEqual(signedNames(params), ['Zed', '_x', 'a10', 'a2', 'b']);
    assert.equal(presignBytes(params).toString('latin1'), 'Zed=1&_x=2&a10=3&a2=4&b=5');
  });

  test('given a parameter name with non-ASCII bytes, the presign carries those bytes unchanged (not re-encoded)', () => {
    const params = byteParamsFromForm(parseFormBytes(Buffer.from('%E5%90%8D=1&a=2')));
    assert.deepEqual(presignBytes(params), Buffer.from('a=2&名=1', 'utf8'));
    assert.deepEqual(signParams({ 名: '1', a: '2' }, KEY_1, 'utf-8'), { presign: 'a=2&名=1', sign: md5Of('a=2&名=1' + KEY_1) });
  });

  test('given empty values, they are left out of the presign, but "0" and " " are kept', () => {
    const { presign } = signParams({ a: '', b: '0', c: ' ', d: '' }, KEY_1, 'utf-8');
    assert.equal(presign, 'b=0&c= ');
  });

  test('given sign and sign_type in the input, neither is signed', () => {
    const withThem = signParams({ a: '1', sign: 'whatever', sign_type: 'MD5' }, KEY_1, 'utf-8');
    const without = signParams({ a: '1' }, KEY_1, 'utf-8');
    assert.deepEqual(withThem, without);
    assert.equal(withThem.presign, 'a=1');
  });

  test('given values with & = + % spaces, newlines and emoji, they are signed raw in UTF-8 (no escaping)', () => {
    const params = { q: 'a&b=c+d%20e', note: 'line1\nline2 end', mood: '好😀' };
    const presign = 'mood=好😀&note=line1\nline2 end&q=a&b=c+d%20e';
    const signed = signParams(params, KEY_1, 'utf-8');
    assert.equal(signed.presign, presign);
    assert.equal(signed.sign, md5Of(presign + KEY_1));
  });

  test('given a Chinese subject, GBK and UTF-8 sign different bytes, each matching md5(presign + key) in its charset', () => {
    const params = { _input_charset: 'gbk', subject: '珊瑚+x+1,' };
    const gbk = signParams(params, KEY_1, 'gbk');
    const utf8 = signParams(params, KEY_1, 'utf-8');
    assert.equal(gbk.presign, '_input_charset=gbk&subject=珊瑚+x+1,');
    assert.equal(gbk.sign, md5Of(gbk.presign + KEY_1, 'gbk'));
    assert.equal(utf8.sign, md5Of(utf8.presign + KEY_1, 'utf-8'));
    assert.notEqual(gbk.sign, utf8.sign);
    assert.deepEqual(presignBytes(byteParamsFromStrings(params, 'gbk')), iconv.encode('_input_charset=gbk&subject=珊瑚+x+1,', 'gbk'));
  });

  test('given an emoji in a GBK message, signing refuses it (UNENCODABLE_TEXT) instead of signing "?"', () => {
    const err = assertAlipayError(() => signParams({ subject: '红包🧧' }, KEY_1, 'gbk'), 'UNENCODABLE_TEXT');
    assert.equal(err.field, 'subject');
  });

  test('the key is appended with no separator: md5Hex(presign, key) = md5(presign + key), lowercase hex', () => {
    const digest = md5Hex(Buffer.from('partner=123&service=test'), KEY_1);
    assert.equal(digest, 'bbd13b52823b576291595f472ebcfbc2');
    assert.notEqual(digest, md5Of('partner=123&service=test&key=' + KEY_1));
    assert.match(md5Hex(Buffer.alloc(0), 'k'), /^[0-9a-f]{32}$/);
  });
});

describe('verifyBytes', () => {
  const order = { out_trade_no: '20150401000-0001', total_fee: '0.01', trade_status: 'TRADE_SUCCESS' };

  test('given a correctly signed message, it is valid', () => {
    assert.deepEqual(verifyBytes(signedMessage(order, KEY_1), KEY_1), { valid: true });
  });

  test('given no sign, or an empty one, it fails as missing_sign', () => {
    const msg = signedMessage(order, KEY_1);
    msg.delete('sign');
    assert.equal(failureOf(msg, KEY_1), 'missing_sign');
    msg.set('sign', Buffer.alloc(0));
    assert.equal(failureOf(msg, KEY_1), 'missing_sign');
  });

  test('given no sign_type, it fails as missing_sign_type', () => {
    const msg = signedMessage(order, KEY_1);
    msg.delete('sign_type');
    assert.equal(failureOf(msg, KEY_1), 'missing_sign_type');
  });

  for (const signType of ['md5', 'RSA', 'DSA', 'MD5 ']) {
    test(`given sign_type "${signType}", it fails as unsupported_sign_type even though the MD5 sign is right`, () => {
      const msg = signedMessage(order, KEY_1);
      msg.set('sign_type', Buffer.from(signType));
      assert.equal(failureOf(msg, KEY_1), 'unsupported_sign_type');
    });
  }

  test('given the right digest in upper-case hex, it fails as malformed_sign (signs are compared as lowercase)', () => {
    const msg = signedMessage(order, KEY_1);
    msg.set('sign', Buffer.from(msg.get('sign')!.toString('latin1').toUpperCase()));
    assert.equal(failureOf(msg, KEY_1), 'malformed_sign');
  });

  for (const bad of ['danger', '0'.repeat(31), '0'.repeat(33), 'g'.repeat(32)]) {
    test(`given sign "${bad}", it fails as malformed_sign`, () => {
      const msg = signedMessage(order, KEY_1);
      msg.set('sign', Buffer.from(bad));
      assert.equal(failureOf(msg, KEY_1), 'malformed_sign');
    });
  }

  test('given a well-formed sign made with another key, it fails as mismatch', () => {
    assert.equal(failureOf(signedMessage(order, KEY_2), KEY_1), 'mismatch');
  });

  test('given a changed amount after signing, it fails as mismatch', () => {
    const msg = signedMessage(order, KEY_1);
    msg.set('total_fee', Buffer.from('100.00'));
    assert.equal(failureOf(msg, KEY_1), 'mismatch');
  });

  test('given an added empty parameter after signing, it still verifies (empty values are not signed)', () => {
    const msg = signedMessage(order, KEY_1);
    msg.set('extra_common_param', Buffer.alloc(0));
    assert.deepEqual(verifyBytes(msg, KEY_1), { valid: true });
  });

  describe('a GBK notification body, kept as raw bytes (§3.3)', () => {
    const key = 'tws3ri4d3sg8ohc4t7k9dnj8kumvia05';
    const fields: [string, string][] = [
      ['notify_id', '6a40ac71fcf17d99b5274b0c6c8970ea7c'],
      ['out_trade_no', '20150401000-0001'],
      ['subject', '珊瑚+x+1,'],
      ['body', '测试商品，一件'],
      ['total_fee', '0.01'],
      ['trade_status', 'TRADE_SUCCESS'],
    ];
    const presign = [...fields].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
    const sign = md5Of(presign + key, 'gbk');

    /** Percent-encodes every byte of the GBK text: what Alipay's form POST looks like on the wire. */
    const gbkPercent = (text: string) => [...iconv.encode(text, 'gbk')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('');
    const bodyText = [...fields, ['sign', sign], ['sign_type', 'MD5']].map(([k, v]) => `${k}=${gbkPercent(v!)}`).join('&');
    const body = Buffer.from(bodyText, 'latin1');

    test('given the raw body bytes, parseFormBytes → byteParamsFromForm → verifyBytes accepts it, and the subject decodes as GBK', () => {
      const params = byteParamsFromForm(parseFormBytes(body));
      assert.deepEqual(verifyBytes(params, key), { valid: true });
      assert.equal(textParam(params, 'subject', 'gbk'), '珊瑚+x+1,');
      assert.equal(textParam(params, 'body', 'gbk'), '测试商品，一件');
    });

    test('given the same message with unescaped GBK bytes in the body, it verifies too', () => {
      const raw = Buffer.concat(
        [...fields, ['sign', sign], ['sign_type', 'MD5']].flatMap(([k, v], i) => [
          Buffer.from(i === 0 ? '' : '&'),
          Buffer.from(`${k}=`),
          // '+' and ',' must still be escaped: a raw '+' would mean a space.
          Buffer.from(iconv.encode(v!, 'gbk').toString('latin1').replace(/\+/g, '%2B'), 'latin1'),
        ]),
      );
      assert.deepEqual(verifyBytes(byteParamsFromForm(parseFormBytes(raw)), key), { valid: true });
    });

    test('given the body decoded to a JS string first (UTF-8, as URLSearchParams does), the Chinese turns into U+FFFD and verification fails', () => {
      const decoded = Object.fromEntries(new URLSearchParams(body.toString('latin1')));
      assert.match(decoded.subject!, /\uFFFD/);
      const params = byteParamsFromStrings(decoded, 'utf-8');
      assert.equal(failureOf(params, key), 'mismatch');
    });

    test('given the GBK value bytes read strictly as UTF-8, decoding refuses them instead of inventing characters', () => {
      const params = byteParamsFromForm(parseFormBytes(body));
      assertAlipayError(() => textParam(params, 'subject', 'utf-8'), 'UNENCODABLE_TEXT');
    });
  });
});

describe('properties', () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,15}$/).filter((n) => n !== 'sign' && n !== 'sign_type');
  const value = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
  const params = fc.dictionary(name, value, { minKeys: 1, maxKeys: 8 });
  const key = fc.stringMatching(/^[0-9a-z]{32}$/);

  test('given any string params, what signParams signs, verifyBytes accepts', () => {
    fc.assert(
      fc.property(params, key, (p, k) => {
        assert.deepEqual(verifyBytes(signedMessage(p, k), k), { valid: true });
      }),
      { numRuns: 200 },
    );
  });

  test('given a signed message, changing any single byte of any signed value makes verification fail', () => {
    fc.assert(
      fc.property(params, key, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (p, k, which, at, delta) => {
        const msg = signedMessage(p, k);
        const names = signedNames(msg);
        const target = names[which % names.length]!;
        const changed = Buffer.from(msg.get(target)!);
        const i = at % changed.length;
        changed[i] = (changed[i]! + delta) & 0xff;
        msg.set(target, changed);
        assert.equal(verifyBytes(msg, k).valid, false);
      }),
      { numRuns: 200 },
    );
  });

  test('given a signed message, changing any single byte of the sign makes verification fail', () => {
    fc.assert(
      fc.property(params, key, fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 255 }), (p, k, i, delta) => {
        const msg = signedMessage(p, k);
        const sign = Buffer.from(msg.get('sign')!);
        sign[i] = (sign[i]! + delta) & 0xff;
        msg.set('sign', sign);
        assert.equal(verifyBytes(msg, k).valid, false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('bad input is an AlipayError, never a TypeError', () => {
  test('signParams with a number value → INVALID_INPUT naming the parameter and suggesting a string', () => {
    const err = assertAlipayError(() => signParams({ total_fee: 0.01 } as unknown as Record<string, string>, KEY_1, 'utf-8'), 'INVALID_INPUT');
    assert.equal(err.field, 'total_fee');
    assert.match(err.message, /"0\.01"/);
  });

  test('signParams with null, undefined or an array → INVALID_INPUT', () => {
    for (const bad of [null, undefined, ['a=1']]) {
      assertAlipayError(() => signParams(bad as unknown as Record<string, string>, KEY_1, 'utf-8'), 'INVALID_INPUT');
    }
  });

  test('signParams with an unknown charset → UNSUPPORTED_CHARSET (not silently GBK)', () => {
    assertAlipayError(() => signParams({ subject: '测试' }, KEY_1, 'UTF-8' as 'utf-8'), 'UNSUPPORTED_CHARSET');
  });

  test('an empty or missing key → INVALID_INPUT for md5Hex, signBytes, signParams and verifyBytes', () => {
    for (const badKey of ['', undefined, 12345]) {
      const k = badKey as unknown as string;
      assertAlipayError(() => md5Hex(Buffer.from('a=1'), k), 'INVALID_INPUT');
      assertAlipayError(() => signBytes(received({ a: '1' }), k), 'INVALID_INPUT');
      assertAlipayError(() => signParams({ a: '1' }, k, 'utf-8'), 'INVALID_INPUT');
      assertAlipayError(() => verifyBytes(signedMessage({ a: '1' }, KEY_1), k), 'INVALID_INPUT');
    }
  });

  test('md5Hex with a presign that is not bytes → INVALID_INPUT', () => {
    for (const bad of [undefined, 'a=1', 42]) {
      assertAlipayError(() => md5Hex(bad as unknown as Uint8Array, KEY_1), 'INVALID_INPUT');
    }
  });

  test('signedNames, presignBytes, signBytes and verifyBytes with something other than a Map of bytes → INVALID_INPUT', () => {
    const bads = [undefined, null, { a: Buffer.from('1') }, new Map([['a', '1']])];
    for (const bad of bads) {
      const p = bad as unknown as ByteParams;
      assertAlipayError(() => signedNames(p), 'INVALID_INPUT');
      assertAlipayError(() => presignBytes(p), 'INVALID_INPUT');
      assertAlipayError(() => signBytes(p, KEY_1), 'INVALID_INPUT');
      assertAlipayError(() => verifyBytes(p, KEY_1), 'INVALID_INPUT');
    }
  });
});
