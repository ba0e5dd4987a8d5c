// The sandbox's own reading of the protocol (infra/local/sandbox/alipay-*.ts), checked against the published vectors
// of protocol doc §9 and against the rules of §2, §5 and §7 — with no product code in the loop, so a mistake the
// product and the sandbox shared would show here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { charsetNamed, decodeText, encodeText } from '../../infra/local/sandbox/alipay-charset.ts';
import { encodeForm, parseForm } from '../../infra/local/sandbox/alipay-form.ts';
import { byteParams, md5Sign, presign, signProblem, signText } from '../../infra/local/sandbox/alipay-md5.ts';
import { paymentParams, paymentRefusal, serverCallRefusal, valueProblem } from '../../infra/local/sandbox/alipay-rules.ts';
import { buyerTotal } from '../../infra/local/sandbox/buyer-total.ts';

/** chloerei/alipay's test key (§9 A): "1" followed by 31 "0"; A1 also uses "2" followed by 31 "0". */
const KEY_1 = '10000000000000000000000000000000';
const KEY_2 = '20000000000000000000000000000000';

const utf8 = (fields: Record<string, string>) => byteParams(Object.entries(fields), 'utf-8');
const presignText = (fields: Record<string, string>, charset: 'utf-8' | 'gbk' = 'utf-8') =>
  decodeText(presign(byteParams(Object.entries(fields), charset)), charset);

/** A URL's query as the gateway reads it: raw bytes → pairs → name → bytes. */
function queryOf(url: string): Map<string, Buffer> {
  const pairs = parseForm(Buffer.from(url.slice(url.indexOf('?') + 1), 'latin1'));
  return new Map(pairs.map(({ name, value }) => [name.toString('latin1'), value]));
}

/** §9 A5: chloerei batch_trans_notify, with Chinese values. */
const A5: Readonly<Record<string, string>> = {
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

describe('§9 A: chloerei/alipay, key 1000…0', () => {
  test('A1 {service: test, partner: 123} presigns as partner=123&service=test: bbd13b52… with key 1, 6d581af2… with key 2', () => {
    const params = { service: 'test', partner: '123' };
    assert.equal(presignText(params), 'partner=123&service=test');
    assert.equal(signText(Object.entries(params), KEY_1, 'utf-8'), 'bbd13b52823b576291595f472ebcfbc2');
    assert.equal(signText(Object.entries(params), KEY_2, 'utf-8'), '6d581af270c023fdaaca6880491e9bf7');
  });

  test('A1 negative cases: an added danger=danger, or the sign "danger", do not verify', () => {
    const sign = 'bbd13b52823b576291595f472ebcfbc2';
    assert.equal(signProblem(utf8({ service: 'test', partner: '123', sign }), KEY_1), undefined);
    assert.match(signProblem(utf8({ service: 'test', partner: '123', danger: 'danger', sign }), KEY_1)!, /does not match/);
    assert.match(signProblem(utf8({ service: 'test', partner: '123', sign: 'danger' }), KEY_1)!, /does not match/);
  });

  test('A2 a notification {notify_id: 1234, sign_type: MD5}: sign_type is not signed, 22fc7e38…', () => {
    const message = utf8({ notify_id: '1234', sign_type: 'MD5', sign: '22fc7e38e5acdfede396aa463870d111' });
    assert.equal(decodeText(presign(message), 'utf-8'), 'notify_id=1234');
    assert.equal(signProblem(message, KEY_1), undefined);
  });

  test('A3 the published create_partner_trade_by_buyer URL: presign as in the doc, b5d30863…, and trade_create_by_buyer 2d296368…', () => {
    const url = 'https://mapi.alipay.com/gateway.do?service=create_partner_trade_by_buyer&_input_charset=utf-8&partner=1000000000000000&seller_id=1000000000000000&payment_type=1&out_trade_no=1&subject=test&logistics_type=POST&logistics_fee=0&logistics_payment=SELLER_PAY&price=0.01&quantity=1&sign_type=MD5&sign=b5d30863b44acd8514a49b0320fb2aa2';
    const received = queryOf(url);
    assert.equal(
      decodeText(presign(received), 'utf-8'),
      '_input_charset=utf-8&logistics_fee=0&logistics_payment=SELLER_PAY&logistics_type=POST&out_trade_no=1&partner=1000000000000000&payment_type=1&price=0.01&quantity=1&seller_id=1000000000000000&service=create_partner_trade_by_buyer&subject=test',
    );
    assert.equal(signProblem(received, KEY_1), undefined);
    const dual = new Map(received).set('service', Buffer.from('trade_create_by_buyer'));
    assert.equal(md5Sign(dual, KEY_1), '2d296368fea70a127da939558c970bab');
  });

  test('A4 create_direct_pay_by_user with price and quantity: 682ad022…; the WAP variant with total_fee: 6530de6e…', () => {
    const direct = { _input_charset: 'utf-8', out_trade_no: '1', partner: '1000000000000000', payment_type: '1', price: '0.01', quantity: '1', seller_id: '1000000000000000', service: 'create_direct_pay_by_user', subject: 'test' };
    assert.equal(signText(Object.entries(direct), KEY_1, 'utf-8'), '682ad02280fca7d4c0fd22678fdddeef');
    const { price: _p, quantity: _q, ...wap } = { ...direct, service: 'alipay.wap.create.direct.pay.by.user', total_fee: '0.01' };
    assert.equal(
      presignText(wap),
      '_input_charset=utf-8&out_trade_no=1&partner=1000000000000000&payment_type=1&seller_id=1000000000000000&service=alipay.wap.create.direct.pay.by.user&subject=test&total_fee=0.01',
    );
    assert.equal(signText(Object.entries(wap), KEY_1, 'utf-8'), '6530de6e3cba153cd4ca7edc48b91f96');
  });

  test('A5 Chinese values are signed as UTF-8 bytes: 59c61160…, and the percent-encoded URL decodes to the same bytes', () => {
    assert.equal(
      presignText(A5),
      '_input_charset=utf-8&account_name=毛毛&batch_fee=1000.0&batch_no=20080107001&batch_num=1&detail_data=0315006^testture0002@126.com^常炜买家^1000.00^hello&email=biz_932@alitest.com&notify_url=https://example.com/orders/20150401000-0001/notify&partner=1000000000000000&pay_date=20080107&service=batch_trans_notify',
    );
    assert.equal(signText(Object.entries(A5), KEY_1, 'utf-8'), '59c611607daafd1337e96b22404bd521');
    // chloerei's test/alipay/service_test.rb at c99f75f (the doc's source).
    const url = 'https://mapi.alipay.com/gateway.do?service=batch_trans_notify&_input_charset=utf-8&partner=1000000000000000&pay_date=20080107&notify_url=https%3A%2F%2Fexample.com%2Forders%2F20150401000-0001%2Fnotify&account_name=%E6%AF%9B%E6%AF%9B&detail_data=0315006%5Etestture0002%40126.com%5E%E5%B8%B8%E7%82%9C%E4%B9%B0%E5%AE%B6%5E1000.00%5Ehello&batch_no=20080107001&batch_num=1&batch_fee=1000.0&email=biz_932%40alitest.com&sign_type=MD5&sign=59c611607daafd1337e96b22404bd521';
    assert.equal(signProblem(queryOf(url), KEY_1), undefined);
  });

  test('A6 a space inside refund_date is signed raw (and travels as "+"): def57a58…', () => {
    const url = 'https://mapi.alipay.com/gateway.do?service=refund_fastpay_by_platform_pwd&_input_charset=utf-8&partner=1000000000000000&seller_user_id=1000000000000000&refund_date=2015-01-01+00%3A00%3A00&batch_num=1&detail_data=1%5E0.01%5Etest&batch_no=123456789&notify_url=%2Fsome_url&sign_type=MD5&sign=def57a58e1ac21f70c45e41bd3697368';
    const received = queryOf(url);
    assert.equal(
      decodeText(presign(received), 'utf-8'),
      '_input_charset=utf-8&batch_no=123456789&batch_num=1&detail_data=1^0.01^test&notify_url=/some_url&partner=1000000000000000&refund_date=2015-01-01 00:00:00&seller_user_id=1000000000000000&service=refund_fastpay_by_platform_pwd',
    );
    assert.equal(signProblem(received, KEY_1), undefined);
  });

  // The doc abbreviates A7's parameters; the full requests are chloerei's expected URLs (test/alipay/service_test.rb at c99f75f).
  const A7 = {
    'create_forex_trade → f24fd4d7…':
      'https://mapi.alipay.com/gateway.do?service=create_forex_trade&_input_charset=utf-8&partner=1000000000000000&notify_url=https%3A%2F%2Fexample.com%2Fnotify&subject=test&out_trade_no=1&currency=EUR&total_fee=0.01&sign_type=MD5&sign=f24fd4d76acabf860263a40805138380',
    'forex_refund → c9681fff…':
      'https://mapi.alipay.com/gateway.do?service=forex_refund&partner=1000000000000000&_input_charset=utf-8&gmt_return=20150101000000&out_return_no=1&out_trade_no=12345678980&return_amount=0.01&currency=USD&reason=reason&sign_type=MD5&sign=c9681fff5505fe993d1b2b8141308d0d',
    'create_forex_trade_wap, subject "Order Name" with a raw space → f15d9e3d…':
      'https://mapi.alipay.com/gateway.do?service=create_forex_trade_wap&_input_charset=utf-8&partner=1000000000000000&seller_id=1000000000000000&out_trade_no=20150401000-0001&subject=Order+Name&merchant_url=http%3A%2F%2Fexample.com%2Fitemback&total_fee=10.00&currency=USD&return_url=https%3A%2F%2Fexample.com%2Forders%2F20150401000-0001&notify_url=https%3A%2F%2Fexample.com%2Forders%2F20150401000-0001%2Fnotify&sign_type=MD5&sign=f15d9e3d885c12f1a994048342c07bef',
  };
  for (const [name, url] of Object.entries(A7)) {
    test(`A7 ${name}: the published URL verifies`, () => {
      const received = queryOf(url);
      assert.equal(signProblem(received, KEY_1), undefined);
      assert.equal(md5Sign(received, KEY_1), received.get('sign')!.toString('latin1'));
    });
  }
  test('A7 the forex presign starts as the doc shows it', () => {
    assert.match(decodeText(presign(queryOf(A7['create_forex_trade → f24fd4d7…'])), 'utf-8'), /^_input_charset=utf-8&currency=EUR&notify_url=https:\/\/example\.com\/notify&out_trade_no=1&.*&subject=test&total_fee=0\.01$/);
  });
});

describe('§9 B, D, E, F', () => {
  test('B omnipay: the empty value dd="" is left out: aaa=111&bbb=2222&ccc=3333&ggg=1 with key "hello" → 7e63e20b…', () => {
    const params = { aaa: '111', bbb: '2222', ccc: '3333', dd: '', ggg: '1' };
    assert.equal(presignText(params), 'aaa=111&bbb=2222&ccc=3333&ggg=1');
    assert.equal(signText(Object.entries(params), 'hello', 'utf-8'), '7e63e20bcc6ad2ba695305e340592ffd');
  });

  test('D A5 as GBK bytes signs differently: 17946e15…', () => {
    assert.equal(signText(Object.entries(A5), KEY_1, 'gbk'), '17946e15019b9f3d628429b944a05a88');
  });

  test('D A5 with its values percent-encoded before signing (the classic mistake) gives 26c552bc…, which is not the sign', () => {
    const transported = Object.entries(A5).map(([k, v]): [string, string] => [k, encodeForm([['v', v]], 'utf-8').slice(2)]);
    assert.equal(signText(transported, KEY_1, 'utf-8'), '26c552bc9d912e326f264a6d1d746826');
    assert.notEqual(signText(Object.entries(A5), KEY_1, 'utf-8'), '26c552bc9d912e326f264a6d1d746826');
  });

  test('D create_direct_pay_by_user with subject 测试商品 and an empty body: UTF-8 d9246ea4…, GBK with _input_charset=gbk 6b52447b…', () => {
    const params = {
      service: 'create_direct_pay_by_user', partner: '2088101568358171', _input_charset: 'utf-8', payment_type: '1',
      notify_url: 'https://example.com/alipay/notify', return_url: 'https://example.com/alipay/return', seller_id: '2088101568358171',
      out_trade_no: '20150401000-0001', subject: '测试商品', body: '', total_fee: '0.01',
    };
    assert.equal(
      presignText(params),
      '_input_charset=utf-8&notify_url=https://example.com/alipay/notify&out_trade_no=20150401000-0001&partner=2088101568358171&payment_type=1&return_url=https://example.com/alipay/return&seller_id=2088101568358171&service=create_direct_pay_by_user&subject=测试商品&total_fee=0.01',
    );
    assert.equal(signText(Object.entries(params), KEY_1, 'utf-8'), 'd9246ea4ca25643b09006d7e328d7a39');
    assert.equal(signText(Object.entries({ ...params, _input_charset: 'gbk' }), KEY_1, 'gbk'), '6b52447bad3ab61f8b98da515d998f63');
  });

  test('E odoo notification with key "dummy": spaces in values, sign_type not signed → 782b6d10…', () => {
    const notification = {
      currency: 'CNY', notify_id: '1234567890123456789012345678901234', notify_time: '2021-12-01 01:01:01', notify_type: 'trade_status_sync',
      out_trade_no: 'Test Transaction', total_fee: '1111.11', trade_no: '2021111111111111111111111111', trade_status: 'TRADE_FINISHED',
      sign_type: 'MD5', sign: '782b6d1015549f847e2ab27d1edb65c7',
    };
    assert.equal(
      presignText(notification),
      'currency=CNY&notify_id=1234567890123456789012345678901234&notify_time=2021-12-01 01:01:01&notify_type=trade_status_sync&out_trade_no=Test Transaction&total_fee=1111.11&trade_no=2021111111111111111111111111&trade_status=TRADE_FINISHED',
    );
    assert.equal(signProblem(utf8(notification), 'dummy'), undefined);
  });

  test('F direct-alipay: _input_charset=UTF-8 (upper case) is signed as written → e135712a…', () => {
    const params = {
      service: 'create_direct_pay_by_user', payment_type: '1', _input_charset: 'UTF-8', partner: '2088911275465084',
      seller_email: 'jyjjh@mail.ccnu.edu.cn', notify_url: 'http://127.0.0.1:3000/notify', out_trade_no: 'out_trade_no',
      subject: 'subject', body: 'body', total_fee: '1',
    };
    assert.equal(
      presignText(params),
      '_input_charset=UTF-8&body=body&notify_url=http://127.0.0.1:3000/notify&out_trade_no=out_trade_no&partner=2088911275465084&payment_type=1&seller_email=jyjjh@mail.ccnu.edu.cn&service=create_direct_pay_by_user&subject=subject&total_fee=1',
    );
    assert.equal(signText(Object.entries(params), 'tws3ri4d3sg8ohc4t7k9dnj8kumvia05', 'utf-8'), 'e135712a2e345760594831d16124f1b7');
  });
});

describe('§1 the presign, over bytes', () => {
  test('names sort by byte: upper case before "_" before lower case, and a10 before a2', () => {
    assert.equal(presignText({ b: '1', a2: '1', _c: '1', a10: '1', Z: '1' }), 'Z=1&_c=1&a10=1&a2=1&b=1');
  });

  test('a GBK value is signed as its GBK bytes, untouched', () => {
    const signed = presign(byteParams([['subject', '测试商品']], 'gbk'));
    assert.deepEqual(signed, Buffer.concat([Buffer.from('subject='), Buffer.from('b2e2cad4c9ccc6b7', 'hex')]));
  });

  test('a sign must be the lowercase hex: the same digest in upper case, or no sign, does not verify', () => {
    const params = { service: 'test', partner: '123' };
    const upper = 'BBD13B52823B576291595F472EBCFBC2';
    assert.match(signProblem(utf8({ ...params, sign: upper }), KEY_1)!, /does not match/);
    assert.equal(signProblem(utf8(params), KEY_1), 'the request has no sign');
    assert.equal(signProblem(utf8({ ...params, sign: '' }), KEY_1), 'the request has no sign');
  });
});

describe('forms and charsets', () => {
  test('a form decodes to bytes: "+" is a space, %XX a byte, empty segments are skipped, a name alone has an empty value', () => {
    const pairs = parseForm(Buffer.from('a=1+2&&b=%B2%E2&c&d=%3D%26', 'latin1'));
    assert.deepEqual(pairs.map(({ name, value }) => [name.toString('latin1'), value.toString('hex')]), [
      ['a', Buffer.from('1 2').toString('hex')],
      ['b', 'b2e2'],
      ['c', ''],
      ['d', Buffer.from('=&').toString('hex')],
    ]);
  });

  test('a "%" without two hex digits is refused rather than guessed', () => {
    for (const bad of ['a=%', 'a=%4', 'a=%zz', 'a=100%']) assert.throws(() => parseForm(Buffer.from(bad)), /not a percent-escape/, bad);
  });

  test('encoding writes each value in the charset, leaves A-Z a-z 0-9 . * _ - as they are, a space as "+"', () => {
    assert.equal(encodeForm([['subject', '测试商品']], 'gbk'), 'subject=%B2%E2%CA%D4%C9%CC%C6%B7');
    assert.equal(encodeForm([['subject', '测试']], 'utf-8'), 'subject=%E6%B5%8B%E8%AF%95');
    assert.equal(encodeForm([['a', 'x.y*z_-1 ~/+=&']], 'utf-8'), 'a=x.y*z_-1+%7E%2F%2B%3D%26');
  });

  test('_input_charset names: utf-8, gbk and gb2312 in any case; anything else is ILLEGAL_CHARSET', () => {
    assert.equal(charsetNamed('UTF-8'), 'utf-8');
    assert.equal(charsetNamed('GBK'), 'gbk');
    assert.equal(charsetNamed('gb2312'), 'gbk');
    for (const other of ['utf8', 'big5', 'latin1', '', 'constructor']) assert.equal(charsetNamed(other), undefined, other);
  });

  test('text the charset cannot hold, and bytes that are not UTF-8, are errors rather than "?" or U+FFFD', () => {
    assert.throws(() => encodeText('😀', 'gbk'), /cannot be written in GBK/);
    assert.throws(() => decodeText(Buffer.from('b2e2', 'hex'), 'utf-8'));
    assert.equal(decodeText(Buffer.from('b2e2cad4', 'hex'), 'gbk'), '测试');
  });
});

/** A create_direct_pay_by_user request the gateway accepts, as text (sign and sign_type already removed). */
function directPay(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    service: 'create_direct_pay_by_user', partner: '2088101568358171', _input_charset: 'utf-8', payment_type: '1',
    out_trade_no: '20150401000-0001', subject: '测试商品', total_fee: '0.01', seller_id: '2088101568358171', ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

function escrow(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  return directPay({
    service: 'create_partner_trade_by_buyer', total_fee: undefined, price: '10.00', quantity: '2',
    logistics_type: 'EXPRESS', logistics_fee: '5.00', logistics_payment: 'BUYER_PAY', ...overrides,
  });
}

const reasonFor = (params: Record<string, string>): string | undefined => {
  const refusal = paymentRefusal(params);
  if (refusal) assert.equal(refusal.code, 'ILLEGAL_ARGUMENT');
  return refusal?.reason;
};

describe('§2 the parameter rules of the payment services: each refusal is ILLEGAL_ARGUMENT with the reason', () => {
  test('a complete request passes, for instant and escrow', () => {
    assert.equal(reasonFor(directPay()), undefined);
    assert.equal(reasonFor(escrow()), undefined);
    assert.equal(reasonFor(directPay({ service: 'create_donate_trade_p', total_fee: undefined })), undefined, 'a donation may leave the amount to the donor');
  });

  test('§2.1–2.3 required: _input_charset, payment_type, out_trade_no, subject, a seller; for escrow price, quantity and the logistics triple', () => {
    for (const name of ['_input_charset', 'payment_type', 'out_trade_no', 'subject']) {
      assert.match(reasonFor(directPay({ [name]: undefined }))!, new RegExp(`^${name} is required for create_direct_pay_by_user`));
      assert.match(reasonFor(directPay({ [name]: '' }))!, new RegExp(`^${name} is required`), 'an empty value is not sent');
    }
    assert.match(reasonFor(directPay({ seller_id: undefined }))!, /needs the seller: seller_id, seller_account_name or seller_email/);
    assert.equal(reasonFor(directPay({ seller_id: undefined, seller_email: 'seller@example.com' })), undefined);
    for (const name of ['price', 'quantity', 'logistics_type', 'logistics_fee', 'logistics_payment']) {
      assert.match(reasonFor(escrow({ [name]: undefined }))!, new RegExp(`^${name} is required for create_partner_trade_by_buyer`));
    }
  });

  test('§2.2 total_fee, or price and quantity: not both, not one of the pair, and not neither', () => {
    assert.match(reasonFor(directPay({ price: '1.00', quantity: '1' }))!, /either total_fee, or price and quantity, not both/);
    assert.match(reasonFor(directPay({ total_fee: undefined, price: '1.00' }))!, /quantity is missing/);
    assert.match(reasonFor(directPay({ total_fee: undefined }))!, /needs an amount/);
    assert.match(reasonFor(escrow({ total_fee: '1.00' }))!, /not both/);
    assert.equal(reasonFor(directPay({ total_fee: undefined, price: '3.00', quantity: '2' })), undefined);
  });

  test('§2.5 amounts: at most 2 decimals, from 0.01 to 100000000.00', () => {
    for (const ok of ['0.01', '1', '1.5', '100000000.00', '01.00']) assert.equal(reasonFor(directPay({ total_fee: ok })), undefined, ok);
    for (const bad of ['0.001', '0', '0.00', '100000000.01', '-1.00', '1e3', '.5', '1.', '1,000.00', ' 1.00']) {
      assert.match(reasonFor(directPay({ total_fee: bad }))!, /^total_fee .* is invalid: it must be yuan with at most 2 decimals, from 0\.01 to 100000000\.00/, bad);
    }
    assert.match(reasonFor(escrow({ price: '0.00' }))!, /^price/);
    assert.match(reasonFor(escrow({ logistics_fee: '-1.00' }))!, /^logistics_fee/);
    assert.match(reasonFor(escrow({ discount: '-1.001' }))!, /^discount/);
    assert.match(reasonFor(escrow({ quantity: '0' }))!, /^quantity/);
  });

  test('§2.3 logistics: the documented values, and each extra option (_1…_3) as a complete triple', () => {
    assert.equal(reasonFor(escrow({ logistics_type: 'DIRECT' })), undefined, 'CHLOEREI adds DIRECT, no logistics');
    assert.match(reasonFor(escrow({ logistics_type: 'CAMEL' }))!, /^logistics_type "CAMEL" is invalid: it must be one of POST, EXPRESS, EMS, DIRECT/);
    assert.match(reasonFor(escrow({ logistics_payment: 'NOBODY_PAY' }))!, /^logistics_payment/);
    assert.equal(reasonFor(escrow({ logistics_type_1: 'EMS', logistics_fee_1: '9.00', logistics_payment_1: 'SELLER_PAY' })), undefined);
    assert.match(reasonFor(escrow({ logistics_type_1: 'EMS', logistics_fee_1: '9.00' }))!, /logistics option 1 needs all of logistics_type_1, logistics_fee_1, logistics_payment_1/);
    assert.match(reasonFor(escrow({ logistics_type_2: 'MULE', logistics_fee_2: '9.00', logistics_payment_2: 'SELLER_PAY' }))!, /^logistics_type_2 "MULE"/);
  });

  test('§2.1 notify_url and return_url: full http(s) URLs without custom parameters; return_url without "!"', () => {
    assert.equal(reasonFor(directPay({ notify_url: 'https://shop.example.com/alipay/notify', return_url: 'http://127.0.0.1:3000/alipay/return' })), undefined);
    assert.match(reasonFor(directPay({ notify_url: 'https://shop.example.com/notify?id=123' }))!, /^notify_url .* without custom parameters/);
    assert.match(reasonFor(directPay({ return_url: '/alipay/return' }))!, /^return_url .* a full http\(s\) URL/);
    assert.match(reasonFor(directPay({ notify_url: 'ftp://shop.example.com/notify' }))!, /^notify_url/);
    assert.match(reasonFor(directPay({ return_url: 'https://shop.example.com/paid!' }))!, /^return_url .* free of special characters such as "!"/);
  });

  test('§2.2 extra_common_param without "=" or "&", it_b_pay from 1m to 15d, enable_paymethod xor disable_paymethod', () => {
    assert.match(reasonFor(directPay({ extra_common_param: 'cart=7' }))!, /^extra_common_param .* free of "=" and "&"/);
    for (const ok of ['1m', '90m', '24h', '15d', '1c']) assert.equal(reasonFor(directPay({ it_b_pay: ok })), undefined, ok);
    for (const bad of ['1.5h', '0m', '16d', '2c', '30s']) assert.match(reasonFor(directPay({ it_b_pay: bad }))!, /^it_b_pay/, bad);
    assert.match(reasonFor(directPay({ enable_paymethod: 'directPay', disable_paymethod: 'creditPay' }))!, /exclude each other/);
  });

  test('§2.6 lengths: out_trade_no 64 characters; subject 128 Chinese characters or 256 ASCII ones', () => {
    assert.equal(reasonFor(directPay({ out_trade_no: 'x'.repeat(64) })), undefined);
    assert.match(reasonFor(directPay({ out_trade_no: 'x'.repeat(65) }))!, /^out_trade_no .* at most 64 characters/);
    assert.equal(reasonFor(directPay({ subject: '测'.repeat(128) })), undefined);
    assert.equal(reasonFor(directPay({ subject: 'a'.repeat(256) })), undefined);
    assert.equal(reasonFor(directPay({ subject: `${'测'.repeat(127)}ab` })), undefined);
    assert.match(reasonFor(directPay({ subject: `${'测'.repeat(128)}a` }))!, /^subject .* at most 128 Chinese characters/);
  });

  test('§7 seller_id and buyer_id are 2088 and 12 more digits', () => {
    assert.match(reasonFor(directPay({ seller_id: '1000000000000000' }))!, /^seller_id .* 16 digits starting with 2088/);
    assert.match(reasonFor(directPay({ buyer_id: 'buyer@example.com' }))!, /^buyer_id/);
  });

  test('where the doc states no rule the gateway accepts, though the product is stricter', () => {
    const accepted = {
      'an "&" and "=" in the subject and body': { subject: 'Tea & cups', body: 'a=b' },
      'a space in out_trade_no (a real one: "2016-09-24 15:03:078138", §2.6)': { out_trade_no: '2016-09-24 15:03:078138' },
      'a parameter the service does not know': { some_new_param: 'x' },
      'a tab in the body': { body: 'one\ttwo' },
      'a buyer_email that is a phone number (§3.2)': { buyer_email: '13800000000' },
    };
    for (const [what, overrides] of Object.entries(accepted)) assert.equal(reasonFor(directPay(overrides)), undefined, what);
  });

  test('the trade keeps amounts in two decimals, drops empty values and, for an instant service, the escrow-only parameters', () => {
    assert.deepEqual(paymentParams(directPay({ total_fee: '1.5', body: '', discount: '-1.00', logistics_type: 'EMS' })), directPay({ total_fee: '1.50' }));
    assert.deepEqual(paymentParams(escrow({ price: '10', logistics_fee: '0', discount: '-2.5' })), escrow({ price: '10.00', logistics_fee: '0.00', discount: '-2.50' }));
  });

  test('a value typed on the cashier is checked by its parameter\'s rule', () => {
    assert.equal(valueProblem('total_fee', '12.5'), undefined);
    assert.equal(valueProblem('total_fee', '1.234'), 'total_fee "1.234" is invalid: it must be yuan with at most 2 decimals, from 0.01 to 100000000.00 (§2.5)');
  });
});

describe('§5 the server calls', () => {
  const call = (params: Record<string, string>) => ({ _input_charset: 'utf-8', partner: '2088101568358171', ...params });

  test('single_trade_query and close_trade name the trade; close_trade calls the order number out_order_no', () => {
    assert.equal(serverCallRefusal('single_trade_query', call({ out_trade_no: '1' })), undefined);
    assert.equal(serverCallRefusal('single_trade_query', call({ trade_no: '2016092021001004380280045538' })), undefined);
    assert.deepEqual(serverCallRefusal('single_trade_query', call({})), { code: 'ILLEGAL_ARGUMENT', reason: 'give trade_no or out_trade_no' });
    assert.equal(serverCallRefusal('close_trade', call({ out_order_no: '1' })), undefined);
    assert.deepEqual(serverCallRefusal('close_trade', call({ out_trade_no: '1' })), { code: 'ILLEGAL_ARGUMENT', reason: 'give trade_no or out_order_no' });
  });

  test('send_goods_confirm_by_platform needs trade_no, logistics_name and a transport type', () => {
    const ship = call({ trade_no: '1', logistics_name: '顺丰速运', transport_type: 'EXPRESS' });
    assert.equal(serverCallRefusal('send_goods_confirm_by_platform', ship), undefined);
    assert.equal(serverCallRefusal('send_goods_confirm_by_platform', { ...call({ trade_no: '1', logistics_name: 'x' }), create_transport_type: 'DIRECT' }), undefined);
    assert.equal(serverCallRefusal('send_goods_confirm_by_platform', { ...ship, logistics_name: '' })?.reason, 'logistics_name is required');
    assert.match(serverCallRefusal('send_goods_confirm_by_platform', { ...ship, transport_type: 'CAMEL' })!.reason, /must be one of POST, EXPRESS, EMS, DIRECT/);
  });

  test('every signed call names its _input_charset (§2.1)', () => {
    assert.deepEqual(serverCallRefusal('single_trade_query', { partner: '2088101568358171', out_trade_no: '1' }), {
      code: 'ILLEGAL_ARGUMENT',
      reason: '_input_charset is required for single_trade_query',
    });
  });
});

describe('what the buyer pays (buyer-total.ts)', () => {
  test('total_fee as given; price × quantity; a donation without an amount leaves it to the donor', () => {
    assert.equal(buyerTotal(paymentParams(directPay({ total_fee: '8.8' }))), '8.80');
    assert.equal(buyerTotal(paymentParams(directPay({ total_fee: undefined, price: '3.00', quantity: '2' }))), '6.00');
    assert.equal(buyerTotal(paymentParams(directPay({ service: 'create_donate_trade_p', total_fee: undefined }))), undefined);
  });

  test('escrow: price × quantity + the BUYER_PAY logistics fee + discount; a SELLER_PAY fee is the seller\'s', () => {
    assert.equal(buyerTotal(paymentParams(escrow({ price: '100.00', quantity: '1', logistics_fee: '10.00', discount: '-20.00' }))), '90.00');
    assert.equal(buyerTotal(paymentParams(escrow({ logistics_payment: 'SELLER_PAY' }))), '20.00');
  });

  test('a total outside 0.01–100000000.00 is refused, however it came about', () => {
    assert.match((buyerTotal(paymentParams(escrow({ price: '1.00', quantity: '1', logistics_fee: '0.00', discount: '-1.00' }))) as { refused: string }).refused, /below the minimum 0\.01/);
    assert.match((buyerTotal(paymentParams(escrow({ price: '100000000.00', quantity: '3' }))) as { refused: string }).refused, /above the maximum 100000000\.00/);
  });
});
