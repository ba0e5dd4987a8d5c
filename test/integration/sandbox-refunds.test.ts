// The sandbox's refund services over real HTTP (protocol doc §5.4): refund_fastpay_by_platform_pwd (the seller
// confirms on the sandbox's page) and _nopwd (server to server), each refusal code, the batch refund notification and
// the trade notification that follow a refund, single_trade_query after refunds, and the drop knob on refunds.
// Requests are signed with the sandbox's scripted merchant; one test sends the product's own refund requests.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { fen } from '../../shared/alipay/amount.ts';
import { parseResultDetails, refundParams as productRefundParams } from '../../shared/alipay/refunds.ts';
import { buildGatewayRequest } from '../../shared/alipay/request.ts';
import { callGateway } from '../../shared/alipay/server-call.ts';
import { decodeParams } from '../../shared/alipay/params.ts';
import { verifyBytes } from '../../shared/alipay/sign.ts';
import { type Charset, decodeText } from '../../infra/local/sandbox/alipay-charset.ts';
import { type ByteParams, signProblem } from '../../infra/local/sandbox/alipay-md5.ts';
import { type Sandbox, startSandbox } from '../../infra/local/sandbox/index.ts';
import { type ReceivedNotification, type ScriptedMerchant, signedQuery, startScriptedMerchant } from '../../infra/local/sandbox/merchant.ts';

const PARTNER = '2088101568358171';
const KEY = '10000000000000000000000000000000';
const OTHER_PARTNER = '2088101568358172';
const OTHER_KEY = '30000000000000000000000000000000';
const SELLER_EMAIL = 'seller@example.com';
const PWD = 'refund_fastpay_by_platform_pwd';
const NOPWD = 'refund_fastpay_by_platform_nopwd';
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
/** Generous: a value that arrives in milliseconds may take seconds on a busy machine. */
const WAIT_MS = 30_000;

let sandbox: Sandbox;
let merchant: ScriptedMerchant;
let seq = 0;

before(async () => {
  merchant = await startScriptedMerchant();
  sandbox = await startSandbox({
    accounts: [{ partner: PARTNER, key: KEY, sellerEmail: SELLER_EMAIL }, { partner: OTHER_PARTNER, key: OTHER_KEY }],
    retrySpeedup: 60_000,
  });
});
afterEach(async () => {
  sandbox.setKnobs({ hold: false, drop: false });
  sandbox.release();
  await sandbox.idle();
});
after(async () => {
  await sandbox.stop();
  await merchant.close();
});

/** `yyyy-MM-dd HH:mm:ss` in Beijing time. */
const beijing = (at = new Date()): string => new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
const today = (): string => beijing().slice(0, 10).replaceAll('-', '');
const newBatchNo = (): string => `${today()}R${process.pid}N${++seq}`;

interface Trade {
  tradeNo: string;
  outTradeNo: string;
}

/** A create_direct_pay_by_user trade (or another service's), paid unless told otherwise. */
async function newTrade(totalFee = '10.00', opts: { partner?: string; key?: string; pay?: boolean; escrow?: boolean } = {}): Promise<Trade> {
  const partner = opts.partner ?? PARTNER;
  const outTradeNo = `refunds-${process.pid}-${++seq}`;
  const amount: Record<string, string> = opts.escrow
    ? { price: totalFee, quantity: '1', logistics_type: 'EXPRESS', logistics_fee: '0.00', logistics_payment: 'SELLER_PAY' }
    : { total_fee: totalFee };
  const request = {
    service: opts.escrow ? 'create_partner_trade_by_buyer' : 'create_direct_pay_by_user', partner, _input_charset: 'utf-8', payment_type: '1',
    out_trade_no: outTradeNo, subject: '测试商品', seller_id: partner, notify_url: merchant.notifyUrl, ...amount,
  };
  const res = await fetch(`${sandbox.gatewayUrl}?${signedQuery(request, opts.key ?? KEY, 'utf-8')}`, { redirect: 'manual' });
  const tradeNo = /^\/cashier\/(\d{28})$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, await res.text());
  if (opts.pay !== false) await sandbox.act(tradeNo, 'pay');
  return { tradeNo, outTradeNo };
}

type Item = [tradeNo: string, amount: string, reason: string];

/** A refund request (unsigned): today's batch_no and refund_date, the seller by seller_user_id. */
function refund(items: Item[], overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    service: PWD, partner: PARTNER, _input_charset: 'utf-8', notify_url: merchant.notifyUrl, seller_user_id: PARTNER,
    refund_date: beijing(), batch_no: newBatchNo(), batch_num: String(items.length), detail_data: items.map((i) => i.join('^')).join('#'),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

interface Answer {
  status: number;
  location: string | null;
  text: string;
  /** The error page's code, or the XML's `<error>`. */
  errorCode: string | undefined;
}

/** Sends a signed refund request: GET with everything in the URL, or a form POSTed to ?_input_charset=… */
async function send(params: Record<string, string>, opts: { key?: string; charset?: Charset; method?: 'GET' | 'POST' } = {}): Promise<Answer> {
  const charset = opts.charset ?? 'utf-8';
  const query = signedQuery(params, opts.key ?? KEY, charset);
  const res = opts.method === 'POST'
    ? await fetch(`${sandbox.gatewayUrl}?_input_charset=${charset}`, { method: 'POST', body: query, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' })
    : await fetch(`${sandbox.gatewayUrl}?${query}`, { redirect: 'manual' });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = decodeText(bytes, res.headers.get('content-type')?.includes('gbk') ? 'gbk' : 'utf-8');
  return {
    status: res.status,
    location: res.headers.get('location'),
    text,
    errorCode: /<strong id="error-code" data-error-code="([A-Z_]+)">/.exec(text)?.[1] ?? /<error>([A-Z_]+)<\/error>/.exec(text)?.[1],
  };
}

const XML_OK = '<?xml version="1.0" encoding="utf-8"?>\n<alipay><is_success>T</is_success></alipay>';

interface SellerPage {
  status: string;
  html: string;
  canConfirm: boolean;
  results: Record<string, string>;
}

async function sellerPage(path: string): Promise<SellerPage> {
  const res = await fetch(`${sandbox.url}${path}`);
  const html = await res.text();
  assert.equal(res.status, 200, html);
  return {
    status: /<main id="refund" [^>]*data-status="([A-Z_]+)"/.exec(html)?.[1] ?? '',
    html,
    canConfirm: /<button type="submit" id="confirm-refund">/.test(html),
    results: Object.fromEntries([...html.matchAll(/<tr data-trade-no="(\d+)" data-result="([A-Z_]+)">/g)].map((m) => [m[1]!, m[2]!])),
  };
}

/** The seller types a password and presses 确认退款. */
const confirm = (path: string): Promise<Response> =>
  fetch(`${sandbox.url}${path}/confirm`, { method: 'POST', body: 'password=123456', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });

/** A pwd refund the seller confirms at once; returns the batch_no. */
async function refundConfirmed(items: Item[], overrides: Record<string, string | undefined> = {}): Promise<string> {
  const params = refund(items, overrides);
  const asked = await send(params);
  assert.equal(asked.status, 302, asked.text);
  assert.equal((await confirm(asked.location!)).status, 303);
  return params.batch_no!;
}

async function waitFor(what: string, find: (n: ReceivedNotification) => boolean): Promise<ReceivedNotification> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const n = merchant.received.find(find);
    if (n) return n;
    assert.ok(Date.now() < deadline, `no ${what} within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ascii = (n: ReceivedNotification, name: string): string | undefined => n.params.get(name)?.toString('latin1');
const batchNotification = (batchNo: string) => waitFor(`batch_refund_notify for ${batchNo}`, (n) => n.notifyType === 'batch_refund_notify' && ascii(n, 'batch_no') === batchNo);
const tradeNotification = (tradeNo: string, match: (f: Record<string, string>) => boolean) =>
  waitFor(`trade_status_sync for ${tradeNo}`, (n) => n.notifyType === 'trade_status_sync' && ascii(n, 'trade_no') === tradeNo && match(textFields(n)));

const textFields = (n: ReceivedNotification, charset: Charset = 'utf-8'): Record<string, string> =>
  Object.fromEntries([...n.params].map(([k, v]) => [k, decodeText(v, charset)]));

/** §1 by hand, sharing no code with the sandbox or the product: sorted names, raw value bytes, key appended, MD5. */
function md5ByHand(params: ByteParams, key: string): string {
  const names = [...params.keys()].filter((k) => k !== 'sign' && k !== 'sign_type' && params.get(k)!.length > 0).sort();
  const joined = Buffer.concat(names.flatMap((k, i) => [Buffer.from(`${i ? '&' : ''}${k}=`), params.get(k)!]));
  return createHash('md5').update(joined).update(key).digest('hex');
}

function assertSigned(n: ReceivedNotification, key = KEY): void {
  assert.equal(signProblem(n.params, key), undefined, 'the sandbox\'s own md5 module verifies it');
  assert.equal(ascii(n, 'sign'), md5ByHand(n.params, key), 'MD5 over the bytes, worked out by hand');
  assert.equal(ascii(n, 'sign_type'), 'MD5');
}

async function query(tradeNo: string): Promise<Record<string, string>> {
  const text = await (await fetch(`${sandbox.gatewayUrl}?${signedQuery({ service: 'single_trade_query', partner: PARTNER, _input_charset: 'utf-8', trade_no: tradeNo }, KEY, 'utf-8')}`)).text();
  const trade = /<response><trade>(.*)<\/trade><\/response>/s.exec(text)?.[1];
  assert.ok(trade, text);
  return Object.fromEntries([...trade.matchAll(/<([a-z_]+)>([^<]*)<\/\1>/g)].map((m) => [m[1]!, m[2]!]));
}

describe('refund_fastpay_by_platform_pwd: the seller confirms on the sandbox\'s page', () => {
  test('a partial refund keeps TRADE_SUCCESS with refund_status; refunding the rest closes the trade', async () => {
    const { tradeNo, outTradeNo } = await newTrade('10.00');

    // 1. The merchant sends the seller to Alipay with the batch; the seller sees it, nothing is refunded yet.
    const first = refund([[tradeNo, '3.00', '尺码不合 wrong size']]);
    const asked = await send(first);
    assert.equal(asked.status, 302, asked.text);
    assert.equal(asked.location, `/refund/${PARTNER}/${first.batch_no}`);
    const page = await sellerPage(asked.location!);
    assert.equal(page.status, 'AWAITING_SELLER');
    assert.ok(page.canConfirm, 'the confirm button');
    assert.match(page.html, /<input id="seller-password" name="password" type="password"/);
    assert.match(page.html, new RegExp(`<tr data-trade-no="${tradeNo}"><td>${tradeNo}</td><td>${outTradeNo}</td><td>测试商品</td><td>¥10\\.00</td><td>¥0\\.00</td><td class="amount">¥3\\.00</td><td>尺码不合 wrong size</td></tr>`));
    assert.match(page.html, /<dd id="refund-total" data-amount="3\.00">/);
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.refundStatus, undefined);
    assert.equal(sandbox.refundBatch(PARTNER, first.batch_no!)?.status, 'AWAITING_SELLER');

    // 2. The seller confirms: the refund is applied, the page shows the result.
    const confirmed = await confirm(asked.location!);
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.headers.get('location'), asked.location);
    const done = await sellerPage(asked.location!);
    assert.equal(done.status, 'APPLIED');
    assert.equal(done.canConfirm, false);
    assert.deepEqual(done.results, { [tradeNo]: 'SUCCESS' });
    assert.match(done.html, /<span id="success-num">1<\/span> \/ 1/);
    const partial = sandbox.trade(PARTNER, outTradeNo)!;
    assert.equal(partial.status, 'TRADE_SUCCESS');
    assert.equal(partial.refundStatus, 'REFUND_SUCCESS');
    assert.match(partial.gmtRefund!, TIME);
    assert.deepEqual(partial.refunds.map((r) => [r.batchNo, r.amount, r.reason]), [[first.batch_no, '3.00', '尺码不合 wrong size']]);

    // 3. Both notifications: the batch's, and the trade's own with refund_status and gmt_refund.
    const batch = await batchNotification(first.batch_no!);
    assert.deepEqual(textFields(batch).result_details, `${tradeNo}^3.00^SUCCESS`);
    const sync = textFields(await tradeNotification(tradeNo, (f) => f.refund_status === 'REFUND_SUCCESS'));
    assert.equal(sync.trade_status, 'TRADE_SUCCESS');
    assert.equal(sync.gmt_refund, partial.gmtRefund);
    assert.equal(sync.total_fee, '10.00');
    assert.equal(sync.gmt_close, undefined);

    const q = await query(tradeNo);
    assert.deepEqual([q.trade_status, q.refund_status, q.gmt_refund, q.to_buyer_fee, q.to_seller_fee], ['TRADE_SUCCESS', 'REFUND_SUCCESS', partial.gmtRefund, '3.00', '7.00']);

    // 4. Confirming again is refused; the rest is refunded by a second batch, which closes the trade.
    assert.equal((await confirm(asked.location!)).status, 409);
    const rest = await refundConfirmed([[tradeNo, '7.00', 'rest']]);
    const closed = sandbox.trade(PARTNER, outTradeNo)!;
    assert.equal(closed.status, 'TRADE_CLOSED');
    assert.equal(closed.refundStatus, 'REFUND_SUCCESS');
    assert.match(closed.gmtClose!, TIME);
    assert.deepEqual(closed.history.map((h) => h.status), ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_CLOSED']);
    assert.equal(textFields(await batchNotification(rest)).result_details, `${tradeNo}^7.00^SUCCESS`);
    const closing = textFields(await tradeNotification(tradeNo, (f) => f.trade_status === 'TRADE_CLOSED'));
    assert.equal(closing.refund_status, 'REFUND_SUCCESS');
    assert.match(closing.gmt_close!, TIME);
    const after = await query(tradeNo);
    assert.deepEqual([after.trade_status, after.refund_status, after.to_buyer_fee, after.to_seller_fee], ['TRADE_CLOSED', 'REFUND_SUCCESS', '10.00', '0.00']);
    assert.equal((await send(refund([[tradeNo, '0.01', 'more']]))).errorCode, 'TRADE_STATUS_ERROR', 'nothing left to refund');
  });

  test('the batch notification: exactly notify_time, notify_type, notify_id, batch_no, success_num, result_details, signed with the key', async () => {
    sandbox.setKnobs({ hold: true });
    const a = await newTrade('5.00');
    const b = await newTrade('8.00');
    const batchNo = await refundConfirmed([[a.tradeNo, '5.00', 'all'], [b.tradeNo, '0.50', 'part']]);
    const applied = sandbox.refundBatch(PARTNER, batchNo)!;
    assert.equal(applied.status, 'APPLIED');
    assert.match(applied.notifyId!, /^[0-9a-f]{34}$/);
    const verify = async () => (await fetch(`${sandbox.gatewayUrl}?service=notify_verify&partner=${PARTNER}&notify_id=${applied.notifyId}`)).text();
    assert.equal(await verify(), 'true', 'a fresh async notify_id, confirmed until answered success');

    sandbox.release();
    const n = await batchNotification(batchNo);
    assert.equal(n.contentType, 'application/x-www-form-urlencoded; charset=utf-8');
    const f = textFields(n);
    assert.deepEqual(Object.keys(f).sort(), ['batch_no', 'notify_id', 'notify_time', 'notify_type', 'result_details', 'sign', 'sign_type', 'success_num']);
    assert.equal(f.notify_type, 'batch_refund_notify');
    assert.equal(f.notify_id, applied.notifyId);
    assert.equal(f.batch_no, batchNo);
    assert.equal(f.success_num, '2');
    assert.equal(f.result_details, `${a.tradeNo}^5.00^SUCCESS#${b.tradeNo}^0.50^SUCCESS`);
    assert.match(f.notify_time!, TIME);
    assertSigned(n);
    await sandbox.idle();
    assert.equal(await verify(), 'false', 'answered success: no longer confirmed');
    assert.equal(sandbox.trade(PARTNER, a.outTradeNo)?.status, 'TRADE_CLOSED', 'all of a refunded');
    assert.equal(sandbox.trade(PARTNER, b.outTradeNo)?.status, 'TRADE_SUCCESS', 'part of b refunded');
  });

  test('the batch notification is resent on the trade notifications\' schedule until the answer is exactly "success"', async () => {
    const { tradeNo } = await newTrade('2.00');
    const params = refund([[tradeNo, '1.00', 'retry me']]);
    let calls = 0;
    merchant.answer = (n) => (n.notifyType === 'batch_refund_notify' && ascii(n, 'batch_no') === params.batch_no && ++calls < 3 ? 'fail' : 'success');
    try {
      const asked = await send(params);
      await confirm(asked.location!);
      await sandbox.idle();
    } finally {
      merchant.answer = () => 'success';
    }
    const sends = merchant.received.filter((n) => ascii(n, 'batch_no') === params.batch_no);
    assert.equal(sends.length, 3);
    for (const s of sends) assert.deepEqual(s.body, sends[0]!.body, 'the same notification, notify_time and notify_id included');
    const log = sandbox.log.filter((e) => e.kind === 'notify_send' && e.notifyId === sends[0]!.notifyId).map((e) => e.detail);
    assert.match(log[0]!, /^send 1\/8 of batch_refund_notify \S+ to .*answer "fail".*; next send in 2 ms$/);
    assert.match(log[2]!, /^send 3\/8 .* — delivered$/);
  });

  test('a GBK form POSTed to ?_input_charset=gbk: the reason in GBK on the page, the notification in GBK bytes', async () => {
    const { tradeNo } = await newTrade('3.00');
    const params = refund([[tradeNo, '1.00', '质量问题']], { _input_charset: 'gbk' });
    const asked = await send(params, { charset: 'gbk', method: 'POST' });
    assert.equal(asked.status, 302, asked.text);
    assert.match((await sellerPage(asked.location!)).html, /<td>质量问题<\/td>/);
    await confirm(asked.location!);
    const n = await batchNotification(params.batch_no!);
    assert.equal(n.contentType, 'application/x-www-form-urlencoded; charset=gbk');
    assertSigned(n);
    assert.equal(textFields(n, 'gbk').result_details, `${tradeNo}^1.00^SUCCESS`);
  });

  test('the same link opened again before confirming shows the same page; after confirming, or with other details, DUPLICATE_BATCH_NO', async () => {
    const { tradeNo } = await newTrade('4.00');
    const params = refund([[tradeNo, '1.00', 'twice']]);
    const once = await send(params);
    const again = await send(params);
    assert.equal(again.location, once.location);
    const other = await send({ ...params, detail_data: `${tradeNo}^2.00^twice` });
    assert.equal(other.errorCode, 'DUPLICATE_BATCH_NO');
    assert.match(other.text, /awaiting the seller, with other details\): use a new batch_no/);
    await confirm(once.location!);
    const late = await send(params);
    assert.equal(late.errorCode, 'DUPLICATE_BATCH_NO');
    assert.match(late.text, /was already used by partner 2088101568358171 \(applied /);
    assert.deepEqual(sandbox.refundBatch(PARTNER, params.batch_no!)?.results, [{ tradeNo, amount: '1.00', result: 'SUCCESS' }], 'refunded once');
  });

  test('a confirmation checks the trades again: what no longer fits is reported in result_details, and success_num counts the rest', async () => {
    const { tradeNo, outTradeNo } = await newTrade('10.00');
    const first = await send(refund([[tradeNo, '6.00', 'first']]));
    const second = await send(refund([[tradeNo, '6.00', 'second']]));
    assert.equal(second.status, 302, 'each fits on its own when asked');
    await confirm(first.location!);
    assert.equal((await confirm(second.location!)).status, 303);
    const page = await sellerPage(second.location!);
    assert.deepEqual(page.results, { [tradeNo]: 'REFUND_AMOUNT_NOT_VALID' });
    const batchNo = second.location!.split('/').at(-1)!;
    const f = textFields(await batchNotification(batchNo));
    assert.equal(f.success_num, '0');
    assert.equal(f.result_details, `${tradeNo}^6.00^REFUND_AMOUNT_NOT_VALID`);
    assert.deepEqual(sandbox.trade(PARTNER, outTradeNo)?.refunds.map((r) => r.amount), ['6.00']);
  });

  test('the cashier\'s 全额退款 button still refunds everything left, without a batch', async () => {
    const { tradeNo, outTradeNo } = await newTrade('10.00');
    await refundConfirmed([[tradeNo, '2.50', 'part']]);
    const res = await fetch(`${sandbox.url}/cashier/${tradeNo}/refund`, { method: 'POST', redirect: 'manual' });
    assert.equal(res.status, 302);
    const trade = sandbox.trade(PARTNER, outTradeNo)!;
    assert.equal(trade.status, 'TRADE_CLOSED');
    assert.deepEqual(trade.refunds.map((r) => [r.batchNo, r.amount]), [[trade.refunds[0]!.batchNo, '2.50'], [undefined, '7.50']]);
    assert.equal((await query(tradeNo)).to_buyer_fee, '10.00');
    assert.match(await (await fetch(`${sandbox.url}/cashier/${tradeNo}`)).text(), /<dd id="refund-status" data-refund-status="REFUND_SUCCESS" data-refunded="10\.00">/);
  });
});

describe('refund_fastpay_by_platform_nopwd: server to server, applied at once', () => {
  test('GET or POST: <is_success>T</is_success>, the refund made, both notifications sent; the batch_no again is DUPLICATE_BATCH_NO', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const { tradeNo, outTradeNo } = await newTrade('9.00');
      const params = refund([[tradeNo, '4.00', 'no password']], { service: NOPWD });
      const answer = await send(params, { method });
      assert.equal(answer.text, XML_OK, method);
      assert.equal(sandbox.trade(PARTNER, outTradeNo)?.refundStatus, 'REFUND_SUCCESS', 'applied before the answer');
      assert.equal(sandbox.refundBatch(PARTNER, params.batch_no!)?.status, 'APPLIED');
      const n = await batchNotification(params.batch_no!);
      assertSigned(n);
      assert.equal(textFields(n).result_details, `${tradeNo}^4.00^SUCCESS`);
      await tradeNotification(tradeNo, (f) => f.refund_status === 'REFUND_SUCCESS' && f.trade_status === 'TRADE_SUCCESS');
      assert.equal((await send(params, { method })).text, '<?xml version="1.0" encoding="utf-8"?>\n<alipay><is_success>F</is_success><error>DUPLICATE_BATCH_NO</error></alipay>');
    }
  });

  test('errors come back as XML, gateway errors included', async () => {
    const { tradeNo } = await newTrade('1.00');
    const params = refund([[tradeNo, '1.00', 'x']], { service: NOPWD });
    assert.equal((await send(params, { key: OTHER_KEY })).errorCode, 'ILLEGAL_SIGN');
    assert.equal((await send({ ...params, batch_no: `${today()}000` })).errorCode, 'BATCH_NO_FORMAT_ERROR');
    assert.equal((await send({ ...params, detail_data: `${tradeNo}^2.00^x` })).errorCode, 'REFUND_AMOUNT_NOT_VALID');
    assert.match((await send({ ...params, detail_data: `${tradeNo}^2.00^x` })).text, /^<\?xml version="1\.0" encoding="utf-8"\?>\n<alipay><is_success>F<\/is_success><error>/);
  });

  test('99 refunds per trade; the 100th is refused', async () => {
    const { tradeNo, outTradeNo } = await newTrade('1.00');
    for (let i = 0; i < 99; i++) {
      assert.equal((await send(refund([[tradeNo, '0.01', `part ${i}`]], { service: NOPWD }))).text, XML_OK, `refund ${i + 1}`);
    }
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.status, 'TRADE_SUCCESS', '0.01 left');
    const hundredth = await send(refund([[tradeNo, '0.01', 'one too many']], { service: NOPWD }));
    assert.equal(hundredth.errorCode, 'SINGLE_DETAIL_DATA_EXCEED_LIMIT');
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.refunds.length, 99);
  });
});

describe('each refusal of a refund request, on Alipay\'s error page', () => {
  test('the common checks come first: ILLEGAL_SIGN, ILLEGAL_PARTNER, ILLEGAL_SIGN_TYPE', async () => {
    const { tradeNo } = await newTrade('1.00');
    const params = refund([[tradeNo, '1.00', 'x']]);
    assert.equal((await send(params, { key: OTHER_KEY })).errorCode, 'ILLEGAL_SIGN');
    assert.equal((await send({ ...params, partner: '2088000000000009' })).errorCode, 'ILLEGAL_PARTNER');
    const rsa = await fetch(`${sandbox.gatewayUrl}?${signedQuery(params, KEY, 'utf-8').replace('sign_type=MD5', 'sign_type=RSA')}`);
    assert.match(await rsa.text(), /data-error-code="ILLEGAL_SIGN_TYPE"/);
  });

  test('the batch: BATCH_NO_FORMAT_ERROR, REFUND_DATE_ERROR, BATCH_NUM_ERROR, BATCH_NUM_EXCEED_LIMIT, BATCH_NUM_NOT_EQUAL_TOTAL, ILLEGAL_ARGUMENT', async () => {
    const { tradeNo } = await newTrade('1.00');
    const item: Item = [tradeNo, '1.00', 'x'];
    const earlier = beijing(new Date(Date.now() - 2 * 86_400_000)); // two days back: never within the midnight tolerance
    const cases: [string, Record<string, string | undefined>][] = [
      ['BATCH_NO_FORMAT_ERROR', { batch_no: `${today()}000` }],
      ['BATCH_NO_FORMAT_ERROR', { batch_no: `${today()}ab` }],
      ['REFUND_DATE_ERROR', { batch_no: `${earlier.slice(0, 10).replaceAll('-', '')}R${process.pid}` }],
      ['REFUND_DATE_ERROR', { refund_date: earlier }],
      ['REFUND_DATE_ERROR', { refund_date: beijing().replace(' ', 'T') }],
      ['BATCH_NUM_ERROR', { batch_num: 'one' }],
      ['BATCH_NUM_EXCEED_LIMIT', { batch_num: '1001' }],
      ['BATCH_NUM_NOT_EQUAL_TOTAL', { batch_num: '2' }],
      ['ILLEGAL_ARGUMENT', { batch_no: undefined }],
      ['ILLEGAL_ARGUMENT', { seller_user_id: undefined }],
      ['ILLEGAL_ARGUMENT', { notify_url: `${merchant.notifyUrl}?order=1` }],
    ];
    for (const [code, overrides] of cases) {
      const page = await send(refund([item], overrides));
      assert.equal(page.status, 200, `${code} ${JSON.stringify(overrides)}: an error page, not a redirect`);
      assert.equal(page.errorCode, code, JSON.stringify(overrides));
    }
  });

  test('the items: DETAIL_DATA_FORMAT_ERROR, PWD_REFUND_NOT_ALLOW_ROYALTY, REFUND_AMOUNT_NOT_VALID, SINGLE_DETAIL_DATA_EXCEED_LIMIT, DUBL_TRADE_NO_IN_SAME_BATCH', async () => {
    const { tradeNo } = await newTrade('1.00');
    const cases: [string, string, string][] = [
      ['DETAIL_DATA_FORMAT_ERROR', `${tradeNo}^1.00`, '1'],
      ['DETAIL_DATA_FORMAT_ERROR', `${tradeNo}^1.00^costs $1`, '1'],
      ['PWD_REFUND_NOT_ALLOW_ROYALTY', `${tradeNo}^1.00^x|${OTHER_PARTNER}^0.10^share`, '1'],
      ['REFUND_AMOUNT_NOT_VALID', `${tradeNo}^0.001^x`, '1'],
      ['REFUND_AMOUNT_NOT_VALID', `${tradeNo}^1.01^more than paid`, '1'],
      ['SINGLE_DETAIL_DATA_EXCEED_LIMIT', `${tradeNo}^1.00^${'x'.repeat(257)}`, '1'],
      ['DUBL_TRADE_NO_IN_SAME_BATCH', `${tradeNo}^0.50^a#${tradeNo}^0.50^b`, '2'],
    ];
    for (const [code, detailData, batchNum] of cases) {
      assert.equal((await send(refund([], { detail_data: detailData, batch_num: batchNum }))).errorCode, code, detailData);
    }
  });

  test('the seller and the trades: SELLER_INFO_NOT_EXIST, NOT_THIS_SELLER_TRADE, NOT_THIS_PARTNERS_TRADE, TRADE_PRODUCT_TYPE_NOT_ALLOW_REFUND, TRADE_STATUS_ERROR', async () => {
    const mine = await newTrade('1.00');
    const theirs = await newTrade('1.00', { partner: OTHER_PARTNER, key: OTHER_KEY });
    const escrow = await newTrade('1.00', { escrow: true });
    const unpaid = await newTrade('1.00', { pay: false });
    const finished = await newTrade('1.00');
    await sandbox.act(finished.tradeNo, 'finish');
    const closed = await newTrade('1.00', { pay: false });
    await sandbox.act(closed.tradeNo, 'close');
    const cases: [string, Item, Record<string, string | undefined>][] = [
      ['SELLER_INFO_NOT_EXIST', [mine.tradeNo, '1.00', 'x'], { seller_user_id: '2088999999999999' }],
      ['SELLER_INFO_NOT_EXIST', [mine.tradeNo, '1.00', 'x'], { seller_user_id: undefined, seller_email: 'nobody@example.com' }],
      ['NOT_THIS_SELLER_TRADE', [mine.tradeNo, '1.00', 'x'], { seller_user_id: OTHER_PARTNER }],
      ['NOT_THIS_PARTNERS_TRADE', [theirs.tradeNo, '1.00', 'x'], {}],
      ['NOT_THIS_PARTNERS_TRADE', ['2016092021001004380280045538', '1.00', 'x'], {}],
      ['TRADE_PRODUCT_TYPE_NOT_ALLOW_REFUND', [escrow.tradeNo, '1.00', 'x'], {}],
      ['TRADE_STATUS_ERROR', [unpaid.tradeNo, '1.00', 'x'], {}],
      ['TRADE_STATUS_ERROR', [finished.tradeNo, '1.00', 'x'], {}],
      ['TRADE_STATUS_ERROR', [closed.tradeNo, '1.00', 'x'], {}],
    ];
    for (const [code, item, overrides] of cases) {
      const page = await send(refund([item], overrides));
      assert.equal(page.errorCode, code, `${item[0]} ${JSON.stringify(overrides)}: ${page.text.slice(0, 200)}`);
    }
    // seller_email names the seller when the account has one; the refund then goes through.
    const byEmail = await send(refund([[mine.tradeNo, '1.00', 'x']], { seller_user_id: undefined, seller_email: SELLER_EMAIL }));
    assert.equal(byEmail.status, 302, byEmail.text);
    assert.ok(sandbox.log.some((e) => e.kind === 'error' && /NOT_THIS_PARTNERS_TRADE: detail_data item 1: partner 2088101568358171 has no trade/.test(e.detail)));
  });
});

describe('drop', () => {
  test('with drop on, a refund\'s batch and trade notifications are both lost (logged as dropped)', async () => {
    const { tradeNo } = await newTrade('2.00');
    sandbox.setKnobs({ drop: true });
    const params = refund([[tradeNo, '2.00', 'lost']], { service: NOPWD });
    assert.equal((await send(params)).text, XML_OK);
    const batch = sandbox.refundBatch(PARTNER, params.batch_no!)!;
    await sandbox.idle();
    const dropped = sandbox.log.filter((e) => e.kind === 'notify_dropped' && e.tradeNo === tradeNo).map((e) => e.detail);
    assert.deepEqual(dropped.map((d) => d.split(' to ')[0]), ['TRADE_CLOSED', `batch_refund_notify ${params.batch_no}`]);
    assert.ok(!merchant.received.some((n) => ascii(n, 'batch_no') === params.batch_no || ascii(n, 'notify_id') === batch.notifyId));
    assert.equal((await query(tradeNo)).refund_status, 'REFUND_SUCCESS', 'single_trade_query still tells');
  });
});

describe('the product\'s refund requests', () => {
  test('its pwd link and its nopwd call are accepted; its own reader takes the batch notification', async () => {
    const account = { partner: PARTNER, key: KEY, charset: 'utf-8' as const, gatewayUrl: sandbox.gatewayUrl };
    const { tradeNo, outTradeNo } = await newTrade('6.00');
    const make = (serial: number, amountFen: number) => productRefundParams({
      batchNo: `${today()}${String(process.pid).slice(-4)}${String(serial).padStart(8, '0')}`, refundDate: beijing(),
      items: [{ tradeNo, amountFen: fen(amountFen), reason: '商品缺货 out of stock' }], notifyUrl: merchant.notifyUrl, sellerUserId: PARTNER,
    });

    const pwd = make(++seq, 100);
    const link = buildGatewayRequest({ params: { service: PWD, partner: PARTNER, _input_charset: 'utf-8', ...pwd }, key: KEY, charset: 'utf-8', gatewayUrl: sandbox.gatewayUrl });
    const opened = await fetch(link.url, { redirect: 'manual' });
    assert.equal(opened.status, 302, await opened.text());
    await confirm(opened.headers.get('location')!);
    const n = await batchNotification(pwd.batch_no!);
    assert.deepEqual(verifyBytes(n.params, KEY), { valid: true });
    assert.deepEqual(parseResultDetails(decodeParams(n.params, 'utf-8').result_details!), [{ tradeNo, amountFen: 100, result: 'SUCCESS' }]);

    const nopwd = make(++seq, 500);
    const answer = await callGateway(NOPWD, nopwd, account);
    assert.equal(answer.ok, true, JSON.stringify(answer.ok ? {} : answer.error));
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.status, 'TRADE_CLOSED');
    const again = await callGateway(NOPWD, nopwd, account);
    assert.deepEqual(again.ok ? 'ok' : again.error, 'DUPLICATE_BATCH_NO');
  });
});
