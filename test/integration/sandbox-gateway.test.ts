// The sandbox's gateway.do over real HTTP: each error code a merchant can provoke, in Alipay's check order, the
// POST-without-_input_charset quirk, and what a reused out_trade_no gets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Charset } from '../../shared/alipay/charset.ts';
import { encodeForm } from '../../shared/alipay/form.ts';
import { buildPaymentRequest } from '../../shared/alipay/request.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { type Sandbox, startSandbox } from '../../infra/local/sandbox/index.ts';
import { signedQuery } from '../../infra/local/sandbox/merchant.ts';

const PARTNER = '2088101568358171';
const KEY = '10000000000000000000000000000000';
const OTHER_KEY = '20000000000000000000000000000000';
const SUBJECT = '测试商品';

let sandbox: Sandbox;
let orderSeq = 0;
const newOutTradeNo = (): string => `gw-${process.pid}-${++orderSeq}`;

before(async () => {
  sandbox = await startSandbox({ accounts: [{ partner: PARTNER, key: KEY }], retrySpeedup: 60_000 });
});
after(() => sandbox.stop());

/** A valid create_direct_pay_by_user parameter set (unsigned). */
function directPay(overrides: Record<string, string | undefined> = {}, charset: Charset = 'utf-8'): Record<string, string> {
  const params: Record<string, string | undefined> = {
    service: 'create_direct_pay_by_user',
    partner: PARTNER,
    _input_charset: charset,
    payment_type: '1',
    out_trade_no: newOutTradeNo(),
    subject: SUBJECT,
    total_fee: '0.01',
    seller_id: PARTNER,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

interface Page {
  status: number;
  location: string | null;
  contentType: string | null;
  text: string;
  errorCode: string | undefined;
}

async function read(res: Response): Promise<Page> {
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get('location'),
    contentType: res.headers.get('content-type'),
    text,
    errorCode: /<strong id="error-code" data-error-code="([A-Z_]+)">/.exec(text)?.[1],
  };
}

const get = async (query: string): Promise<Page> => read(await fetch(`${sandbox.gatewayUrl}?${query}`, { redirect: 'manual' }));
const post = async (url: string, body: string): Promise<Page> =>
  read(await fetch(url, { method: 'POST', body, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));

function assertError(page: Page, code: string, reason?: RegExp): void {
  assert.equal(page.status, 200, 'Alipay shows its error page with HTTP 200');
  assert.equal(page.contentType, 'text/html; charset=utf-8');
  assert.equal(page.errorCode, code, page.text);
  assert.ok(page.text.includes(`调试错误，请回到请求来源地，重新发起请求。错误代码 <strong id="error-code" data-error-code="${code}">${code}</strong>`));
  assert.match(page.text, /Debugging error/);
  if (reason) assert.match(page.text, reason);
}

function assertCashier(page: Page): string {
  assert.equal(page.status, 302, page.text);
  const m = /^\/cashier\/(\d{28})$/.exec(page.location ?? '');
  assert.ok(m, `a redirect to the cashier, got ${page.location}`);
  return m[1]!;
}

describe('error codes, one real request each', () => {
  test('an unknown _input_charset is ILLEGAL_CHARSET', async () => {
    assertError(await get(signedQuery(directPay({ _input_charset: 'big5' }), KEY, 'utf-8')), 'ILLEGAL_CHARSET', /big5/);
  });

  test('a missing or unknown service is ILLEGAL_SERVICE', async () => {
    assertError(await get(signedQuery(directPay({ service: undefined }), KEY, 'utf-8')), 'ILLEGAL_SERVICE', /no service/);
    assertError(await get(signedQuery(directPay({ service: 'create_direct_pay_by_usr' }), KEY, 'utf-8')), 'ILLEGAL_SERVICE', /create_direct_pay_by_usr/);
  });

  test('an unknown partner is ILLEGAL_PARTNER, even when correctly signed', async () => {
    assertError(await get(signedQuery(directPay({ partner: '2088000000000001', seller_id: '2088000000000001' }), KEY, 'utf-8')), 'ILLEGAL_PARTNER');
  });

  test('sign_type other than exactly MD5 is ILLEGAL_SIGN_TYPE', async () => {
    const query = signedQuery(directPay(), KEY, 'utf-8');
    assertError(await get(query.replace('sign_type=MD5', 'sign_type=md5')), 'ILLEGAL_SIGN_TYPE', /upper case/);
    assertError(await get(query.replace('&sign_type=MD5', '')), 'ILLEGAL_SIGN_TYPE');
  });

  test('a wrong key, a value changed after signing, or no sign is ILLEGAL_SIGN, and the page shows the presign but not the key', async () => {
    const wrongKey = await get(signedQuery(directPay(), OTHER_KEY, 'utf-8'));
    assertError(wrongKey, 'ILLEGAL_SIGN', /_input_charset=utf-8&amp;out_trade_no=/);
    assert.ok(!wrongKey.text.includes(KEY) && !wrongKey.text.includes(OTHER_KEY), 'no key on the page');
    assertError(await get(signedQuery(directPay(), KEY, 'utf-8').replace('total_fee=0.01', 'total_fee=0.02')), 'ILLEGAL_SIGN');
    assertError(await get(signedQuery(directPay(), KEY, 'utf-8').replace(/&sign=[0-9a-f]+/, '')), 'ILLEGAL_SIGN');
  });

  test('parameter problems are ILLEGAL_ARGUMENT, with the reason naming the parameter', async () => {
    assertError(await get(signedQuery(directPay({ total_fee: '0.001' }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /total_fee/);
    assertError(await get(signedQuery(directPay({ out_trade_no: undefined }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /out_trade_no is required/);
    assertError(await get(signedQuery(directPay({ payment_type: undefined }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /payment_type/);
    assertError(await get(signedQuery(directPay({ price: '1.00' }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /total_fee/);
  });

  test("a seller that is not this partner's is ILLEGAL_ARGUMENT", async () => {
    assertError(await get(signedQuery(directPay({ seller_id: '2088999999999999' }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /seller_id 2088999999999999 is not the seller/);
    assertError(
      await get(signedQuery(directPay({ seller_id: undefined, seller_email: 'someone@example.com' }), KEY, 'utf-8')),
      'ILLEGAL_ARGUMENT',
      /seller_email/,
    );
  });
});

describe("the gateway's rules are the protocol doc's, not the product's", () => {
  test('_input_charset is required (§2.1) and names utf-8, gbk or gb2312 in any case (§6): utf8 is ILLEGAL_CHARSET', async () => {
    assertError(await get(signedQuery(directPay({ _input_charset: undefined }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /_input_charset is required/);
    assertError(await get(signedQuery(directPay({ _input_charset: 'utf8' }), KEY, 'utf-8')), 'ILLEGAL_CHARSET', /utf8/);
    const params = directPay({ _input_charset: 'GB2312' }, 'gbk');
    assertCashier(await get(signedQuery(params, KEY, 'gbk')));
    assert.equal(sandbox.trade(PARTNER, params.out_trade_no!)?.charset, 'gbk');
  });

  test('return_url without "!", notify_url without custom parameters (§2.1)', async () => {
    assertError(await get(signedQuery(directPay({ return_url: 'https://shop.example.com/paid!' }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /return_url .*&quot;!&quot;/);
    assertError(await get(signedQuery(directPay({ notify_url: 'https://shop.example.com/notify?order=1' }), KEY, 'utf-8')), 'ILLEGAL_ARGUMENT', /notify_url .*without custom parameters/);
  });

  test('what the doc does not forbid is accepted, though the product refuses it: "&" and "=" in the subject, a space in out_trade_no, logistics_type DIRECT', async () => {
    const params = directPay({ subject: 'Tea & cups = 2', out_trade_no: `gw ${process.pid} ${++orderSeq}` });
    assertCashier(await get(signedQuery(params, KEY, 'utf-8')));
    assert.equal(sandbox.trade(PARTNER, params.out_trade_no!)?.subject, 'Tea & cups = 2');
    const direct = directPay({
      service: 'create_partner_trade_by_buyer', total_fee: undefined, price: '1.00', quantity: '1',
      logistics_type: 'DIRECT', logistics_fee: '0.00', logistics_payment: 'SELLER_PAY',
    });
    assertCashier(await get(signedQuery(direct, KEY, 'utf-8')));
    assert.equal(sandbox.trade(PARTNER, direct.out_trade_no!)?.logistics?.type, 'DIRECT');
  });
});

describe('POST and _input_charset', () => {
  const form = (charset: Charset, subject: string) => {
    const req = buildPaymentRequest({
      service: 'create_direct_pay_by_user', partner: PARTNER, key: KEY, charset, gatewayUrl: sandbox.gatewayUrl,
      params: { out_trade_no: newOutTradeNo(), subject, total_fee: '0.01' },
    });
    return { action: req.form.action, body: encodeForm(Object.entries(req.form.fields), charset) };
  };

  test('a UTF-8 Chinese subject POSTed with _input_charset in the URL creates the trade', async () => {
    const { action, body } = form('utf-8', SUBJECT);
    assert.match(action, /\?_input_charset=utf-8$/);
    assertCashier(await post(action, body));
  });

  test('the same POST without _input_charset in the URL is ILLEGAL_SIGN: the body was read as GBK', async () => {
    const { body } = form('utf-8', SUBJECT);
    assertError(await post(sandbox.gatewayUrl, body), 'ILLEGAL_SIGN', /read as GBK/);
  });

  test('without _input_charset in the URL, ASCII text and GBK bodies still verify (only UTF-8 Chinese breaks)', async () => {
    assertCashier(await post(sandbox.gatewayUrl, form('utf-8', 'plain ascii subject').body));
    assertCashier(await post(sandbox.gatewayUrl, form('gbk', SUBJECT).body));
  });

  test('_input_charset is read as Alipay reads it: UTF-8 in upper case works, in the URL and in the body', async () => {
    const params = directPay({ _input_charset: 'UTF-8' });
    const tradeNo = assertCashier(await post(`${sandbox.gatewayUrl}?_input_charset=utf-8`, signedQuery(params, KEY, 'utf-8')));
    assert.equal(sandbox.trade(PARTNER, params.out_trade_no!)?.tradeNo, tradeNo);
    assertCashier(await get(signedQuery(directPay({ _input_charset: 'UTF-8' }), KEY, 'utf-8')));
  });

  test('a GET with the whole request in the query string works in both charsets', async () => {
    for (const charset of ['utf-8', 'gbk'] as const) {
      const outTradeNo = newOutTradeNo();
      const req = buildPaymentRequest({
        service: 'create_direct_pay_by_user', partner: PARTNER, key: KEY, charset, gatewayUrl: sandbox.gatewayUrl,
        params: { out_trade_no: outTradeNo, subject: SUBJECT, total_fee: '0.01' },
      });
      const tradeNo = assertCashier(await read(await fetch(req.url, { redirect: 'manual' })));
      const trade = sandbox.trade(PARTNER, outTradeNo);
      assert.equal(trade?.tradeNo, tradeNo);
      assert.equal(trade.charset, charset);
      assert.equal(trade.subject, SUBJECT);
    }
  });
});

describe('every payment service creates a WAIT_BUYER_PAY trade and sends the buyer to the cashier', () => {
  const cases: [ServiceName, Record<string, string>][] = [
    ['create_direct_pay_by_user', { total_fee: '1.00' }],
    ['create_partner_trade_by_buyer', { price: '1.00', quantity: '1', logistics_type: 'EXPRESS', logistics_fee: '0.00', logistics_payment: 'SELLER_PAY' }],
    ['trade_create_by_buyer', { price: '1.00', quantity: '1', logistics_type: 'EXPRESS', logistics_fee: '0.00', logistics_payment: 'SELLER_PAY' }],
    ['create_digital_goods_trade_p', { total_fee: '1.00' }],
    ['create_donate_trade_p', {}],
  ];
  for (const [service, amount] of cases) {
    test(service, async () => {
      const outTradeNo = newOutTradeNo();
      const req = buildPaymentRequest({ service, partner: PARTNER, key: KEY, charset: 'utf-8', gatewayUrl: sandbox.gatewayUrl, params: { out_trade_no: outTradeNo, subject: SUBJECT, ...amount } });
      const tradeNo = assertCashier(await read(await fetch(req.url, { redirect: 'manual' })));
      assert.match(tradeNo, /^20\d{6}\d{20}$/);
      const trade = sandbox.trade(PARTNER, outTradeNo);
      assert.equal(trade?.tradeNo, tradeNo);
      assert.equal(trade.status, 'WAIT_BUYER_PAY');
      assert.equal(trade.service, service);
      assert.equal(trade.totalFee, service === 'create_donate_trade_p' ? '' : '1.00');
    });
  }
});

describe('an out_trade_no used again', () => {
  const create = async (params: Record<string, string>) => get(signedQuery(params, KEY, 'utf-8'));

  test('with the same parameters: the same trade, the same cashier', async () => {
    const params = directPay();
    const first = assertCashier(await create(params));
    assert.equal(assertCashier(await create(params)), first);
  });

  test('unpaid, with a different amount: TRADE_DATA_MATCH_ERROR naming what changed', async () => {
    const params = directPay();
    assertCashier(await create(params));
    assertError(await create({ ...params, total_fee: '0.02' }), 'TRADE_DATA_MATCH_ERROR', /total_fee/);
  });

  test('paid: TRADE_HAS_SUCCESS', async () => {
    const params = directPay();
    const tradeNo = assertCashier(await create(params));
    await sandbox.act(tradeNo, 'pay');
    assertError(await create(params), 'TRADE_HAS_SUCCESS');
  });

  test('closed: TRADE_HAS_CLOSED', async () => {
    const params = directPay();
    const tradeNo = assertCashier(await create(params));
    await sandbox.act(tradeNo, 'close');
    assertError(await create(params), 'TRADE_HAS_CLOSED');
  });
});

describe('starting', () => {
  test('a taken port fails fast, naming SANDBOX_PORT', async () => {
    await assert.rejects(
      startSandbox({ port: sandbox.port, accounts: [{ partner: PARTNER, key: KEY }] }),
      new RegExp(`^Error: port ${sandbox.port} is already in use: stop what uses it or set SANDBOX_PORT to another port$`),
    );
  });

  test('bad options are refused with the option named, never echoing the key', async () => {
    await assert.rejects(startSandbox({ accounts: [] }), /accounts must list at least one/);
    await assert.rejects(startSandbox({ accounts: [{ partner: 'merchant@example.com', key: KEY }] }), /accounts\[0\]\.partner looks like an email/);
    await assert.rejects(startSandbox({ accounts: [{ partner: PARTNER, key: 'short-secret' }] }), (err: Error) => {
      assert.match(err.message, /accounts\[0\]\.key is not an MD5 key/);
      assert.ok(!err.message.includes('short-secret'));
      return true;
    });
    await assert.rejects(startSandbox({ accounts: [{ partner: PARTNER, key: KEY }], retrySpeedup: 0 }), /retrySpeedup must be a positive number/);
  });
});
