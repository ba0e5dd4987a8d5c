// The buyer's side of the sandbox over real HTTP: cashier pages and buttons for each kind of trade, the status each
// button makes, the signed notification it sends, and the return redirect after paying.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Charset } from '../../shared/alipay/charset.ts';
import { decodeText } from '../../shared/alipay/charset.ts';
import { parseFormBytes, percentDecodeBytes } from '../../shared/alipay/form.ts';
import { type ByteParams, byteParamsFromForm, decodeParams } from '../../shared/alipay/params.ts';
import { buildPaymentRequest } from '../../shared/alipay/request.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { verifyBytes } from '../../shared/alipay/sign.ts';
import { type Sandbox, startSandbox } from '../../infra/local/sandbox/index.ts';
import { type ReceivedNotification, type ScriptedMerchant, signedQuery, startScriptedMerchant } from '../../infra/local/sandbox/merchant.ts';

const PARTNER = '2088101568358171';
const KEY = '10000000000000000000000000000000';
const SUBJECT = '测试商品';
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

let sandbox: Sandbox;
let basic: Sandbox;
let merchant: ScriptedMerchant;
let orderSeq = 0;

before(async () => {
  merchant = await startScriptedMerchant();
  sandbox = await startSandbox({ accounts: [{ partner: PARTNER, key: KEY }], retrySpeedup: 60_000 });
  basic = await startSandbox({ accounts: [{ partner: PARTNER, key: KEY }], retrySpeedup: 60_000, instantMode: 'basic' });
});
after(async () => {
  await Promise.all([sandbox.stop(), basic.stop()]);
  await merchant.close();
});

interface Created {
  tradeNo: string;
  outTradeNo: string;
}

async function createTrade(
  service: ServiceName,
  params: Record<string, string>,
  opts: { charset?: Charset; notify?: boolean; returnUrl?: boolean; on?: Sandbox } = {},
): Promise<Created> {
  const on = opts.on ?? sandbox;
  const outTradeNo = `cashier-${process.pid}-${++orderSeq}`;
  const req = buildPaymentRequest({
    service, partner: PARTNER, key: KEY, charset: opts.charset ?? 'utf-8', gatewayUrl: on.gatewayUrl,
    ...(opts.notify === false ? {} : { notifyUrl: merchant.notifyUrl }),
    ...(opts.returnUrl === false ? {} : { returnUrl: merchant.returnUrl }),
    params: { out_trade_no: outTradeNo, subject: SUBJECT, ...params },
  });
  const res = await fetch(req.url, { redirect: 'manual' });
  assert.equal(res.status, 302, await res.text());
  const tradeNo = /^\/cashier\/(\d{28})$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, `redirect to the cashier, got ${res.headers.get('location')}`);
  return { tradeNo, outTradeNo };
}

interface CashierView {
  status: string;
  buttons: string[];
  html: string;
}

async function cashier(tradeNo: string, on: Sandbox = sandbox): Promise<CashierView> {
  const res = await fetch(`${on.url}/cashier/${tradeNo}`);
  const html = await res.text();
  assert.equal(res.status, 200, html);
  return {
    status: /<dd id="trade-status" data-status="([A-Z_]+)">/.exec(html)?.[1] ?? '',
    buttons: [...html.matchAll(/<button type="submit" id="([a-z]+)"/g)].map((m) => m[1]!),
    html,
  };
}

function press(tradeNo: string, action: string, form: Record<string, string> = {}, on: Sandbox = sandbox): Promise<Response> {
  return fetch(`${on.url}/cashier/${tradeNo}/${action}`, {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
}

/** Waits for the notification about `outTradeNo` with this status, checks its sign, returns its fields as text. */
async function notified(outTradeNo: string, status: string, charset: Charset = 'utf-8'): Promise<{ n: ReceivedNotification; fields: Record<string, string> }> {
  const deadline = Date.now() + 30_000; // generous: a busy machine may stall for seconds
  for (;;) {
    const n = merchant.received.find((r) => r.params.get('out_trade_no')?.toString('latin1') === outTradeNo && r.tradeStatus === status);
    if (n) {
      assert.deepEqual(verifyBytes(n.params, KEY), { valid: true }, 'the notification is signed over its bytes');
      assert.equal(n.contentType, `application/x-www-form-urlencoded; charset=${charset}`);
      return { n, fields: decodeParams(n.params, charset) };
    }
    assert.ok(Date.now() < deadline, `no ${status} notification for ${outTradeNo}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const receivedFor = (outTradeNo: string): ReceivedNotification[] =>
  merchant.received.filter((r) => r.params.get('out_trade_no')?.toString('latin1') === outTradeNo);

/** The return redirect's query, as the merchant's return page receives it. */
function returnQuery(location: string | null): { raw: string; params: ByteParams } {
  assert.ok(location?.startsWith(`${merchant.returnUrl}?`), `a redirect to return_url, got ${location}`);
  const raw = location!.slice(merchant.returnUrl.length + 1);
  return { raw, params: byteParamsFromForm(parseFormBytes(raw)) };
}

async function notifyVerify(on: Sandbox, notifyId: string): Promise<string> {
  return (await fetch(`${on.gatewayUrl}?service=notify_verify&partner=${PARTNER}&notify_id=${encodeURIComponent(notifyId)}`)).text();
}

describe('instant payment, advanced (the default)', () => {
  test('pay → TRADE_SUCCESS: signed return redirect and notification; then the refund window ends → TRADE_FINISHED', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_direct_pay_by_user', { total_fee: '0.01', body: 'two cups', extra_common_param: 'cart-7' });
    const before = await cashier(tradeNo);
    assert.equal(before.status, 'WAIT_BUYER_PAY');
    assert.deepEqual(before.buttons, ['pay', 'close']);
    assert.match(before.html, /<dd id="subject">测试商品<\/dd>/);
    assert.match(before.html, /<dd id="amount" data-amount="0\.01">¥0\.01<\/dd>/);
    assert.match(before.html, new RegExp(`<dd id="out-trade-no">${outTradeNo}</dd>`));
    assert.match(before.html, />确认付款 Pay</);
    assert.match(before.html, />关闭交易 Let it time out</);

    const paid = await press(tradeNo, 'pay');
    assert.equal(paid.status, 302);
    const ret = returnQuery(paid.headers.get('location'));
    assert.deepEqual(verifyBytes(ret.params, KEY), { valid: true }, 'the return query is signed');
    const r = decodeParams(ret.params, 'utf-8');
    assert.equal(r.is_success, 'T');
    assert.equal(r.exterface, 'create_direct_pay_by_user');
    assert.equal(r.notify_type, 'trade_status_sync');
    assert.equal(r.trade_status, 'TRADE_SUCCESS');
    assert.equal(r.trade_no, tradeNo);
    assert.equal(r.total_fee, '0.01');
    // The return notify_id carries '/' or '+', percent-encoded exactly once in the query.
    const rawId = /(?:^|&)notify_id=([^&]*)/.exec(ret.raw)?.[1] ?? '';
    assert.match(r.notify_id!, /[/+]/);
    assert.match(rawId, /%2F|%2B/);
    assert.doesNotMatch(rawId, /[/+]|%25/);
    assert.equal(percentDecodeBytes(Buffer.from(rawId)).toString('latin1'), r.notify_id);
    assert.equal(await notifyVerify(sandbox, r.notify_id!), 'true');

    const { fields: f } = await notified(outTradeNo, 'TRADE_SUCCESS');
    assert.match(f.notify_id!, /^[0-9a-f]{34}$/);
    assert.notEqual(f.notify_id, r.notify_id);
    const expected = {
      notify_type: 'trade_status_sync', out_trade_no: outTradeNo, trade_no: tradeNo, subject: SUBJECT, body: 'two cups',
      payment_type: '1', total_fee: '0.01', price: '0.01', quantity: '1', discount: '0.00', is_total_fee_adjust: 'N',
      use_coupon: 'N', seller_id: PARTNER, extra_common_param: 'cart-7',
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(f[k], v, k);
    assert.match(f.buyer_id!, /^2088\d{12}$/);
    assert.match(f.seller_email!, /@/);
    assert.match(f.buyer_email!, /@/);
    for (const k of ['notify_time', 'gmt_create', 'gmt_payment']) assert.match(f[k]!, TIME, k);
    assert.equal(f.gmt_close, undefined);
    const beijingNow = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    assert.ok(Math.abs(Date.parse(`${beijingNow}Z`) - Date.parse(`${f.notify_time!.replace(' ', 'T')}Z`)) < 10_000, 'notify_time is Beijing time');

    const afterPay = await cashier(tradeNo);
    assert.equal(afterPay.status, 'TRADE_SUCCESS');
    assert.deepEqual(afterPay.buttons, ['finish', 'refund']);
    assert.match(afterPay.html, />退款期结束 Refund window ends</);
    assert.match(afterPay.html, />全额退款 Full refund</);

    const finished = await press(tradeNo, 'finish');
    assert.equal(finished.status, 302);
    assert.equal(finished.headers.get('location'), `/cashier/${tradeNo}`);
    const { fields: done } = await notified(outTradeNo, 'TRADE_FINISHED');
    assert.match(done.gmt_close!, TIME);
    assert.notEqual(done.notify_id, f.notify_id, 'each status change has its own notify_id');
    assert.deepEqual((await cashier(tradeNo)).buttons, []);

    const late = await press(tradeNo, 'refund');
    assert.equal(late.status, 409);
    assert.match(await late.text(), /refund is not possible for an instant trade in status TRADE_FINISHED/);
    assert.deepEqual(sandbox.trade(PARTNER, outTradeNo)?.history.map((h) => h.status), ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED']);
  });

  test('full refund → TRADE_CLOSED with refund_status=REFUND_SUCCESS and gmt_refund', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_digital_goods_trade_p', { price: '3.00', quantity: '2' });
    assert.equal((await press(tradeNo, 'pay')).status, 302);
    const paid = await notified(outTradeNo, 'TRADE_SUCCESS');
    assert.equal(paid.fields.total_fee, '6.00');
    assert.equal(paid.fields.price, '3.00');
    assert.equal(paid.fields.quantity, '2');
    assert.equal((await press(tradeNo, 'refund')).status, 302);
    const { fields } = await notified(outTradeNo, 'TRADE_CLOSED');
    assert.equal(fields.refund_status, 'REFUND_SUCCESS');
    assert.match(fields.gmt_refund!, TIME);
    assert.match(fields.gmt_close!, TIME);
    assert.match(fields.gmt_payment!, TIME);
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.refundStatus, 'REFUND_SUCCESS');
  });
});

describe('instant payment, basic', () => {
  test('pay → TRADE_FINISHED at once, with gmt_close, and nothing left to press', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_direct_pay_by_user', { total_fee: '2.00' }, { on: basic });
    const paid = await press(tradeNo, 'pay', {}, basic);
    assert.equal(decodeParams(returnQuery(paid.headers.get('location')).params, 'utf-8').trade_status, 'TRADE_FINISHED');
    const { fields } = await notified(outTradeNo, 'TRADE_FINISHED');
    assert.match(fields.gmt_close!, TIME);
    assert.equal((await cashier(tradeNo, basic)).status, 'TRADE_FINISHED');
    assert.deepEqual((await cashier(tradeNo, basic)).buttons, []);
  });
});

describe('escrow', () => {
  test('pay → WAIT_SELLER_SEND_GOODS, ship → WAIT_BUYER_CONFIRM_GOODS, confirm → TRADE_FINISHED; the buyer pays BUYER_PAY logistics', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_partner_trade_by_buyer', {
      price: '10.00', quantity: '2', logistics_type: 'EXPRESS', logistics_fee: '5.00', logistics_payment: 'BUYER_PAY',
      logistics_type_1: 'EMS', logistics_fee_1: '9.00', logistics_payment_1: 'BUYER_PAY', receive_name: '张三', receive_mobile: '13800000000',
    });
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.totalFee, '25.00', 'price × quantity + the first option\'s BUYER_PAY fee');
    assert.deepEqual((await cashier(tradeNo)).buttons, ['pay', 'close']);

    const paid = await press(tradeNo, 'pay');
    assert.equal(decodeParams(returnQuery(paid.headers.get('location')).params, 'utf-8').trade_status, 'WAIT_SELLER_SEND_GOODS');
    const { fields: p } = await notified(outTradeNo, 'WAIT_SELLER_SEND_GOODS');
    const expected = { total_fee: '25.00', price: '10.00', quantity: '2', logistics_type: 'EXPRESS', logistics_fee: '5.00', logistics_payment: 'BUYER_PAY', receive_name: '张三', receive_mobile: '13800000000' };
    for (const [k, v] of Object.entries(expected)) assert.equal(p[k], v, k);
    assert.equal(p.gmt_send_goods, undefined);
    const waiting = await cashier(tradeNo);
    assert.deepEqual(waiting.buttons, ['ship']);
    assert.match(waiting.html, />卖家发货 Seller ships</);

    assert.equal((await press(tradeNo, 'ship')).headers.get('location'), `/cashier/${tradeNo}`);
    const { fields: s } = await notified(outTradeNo, 'WAIT_BUYER_CONFIRM_GOODS');
    assert.match(s.gmt_send_goods!, TIME);
    const shipped = await cashier(tradeNo);
    assert.deepEqual(shipped.buttons, ['confirm']);
    assert.match(shipped.html, />确认收货 Buyer confirms</);

    assert.equal((await press(tradeNo, 'confirm')).status, 302);
    const { fields: f } = await notified(outTradeNo, 'TRADE_FINISHED');
    assert.match(f.gmt_close!, TIME);
    assert.match(f.gmt_send_goods!, TIME);
    assert.equal((await press(tradeNo, 'finish')).status, 409, 'finish is an instant-trade button');
  });

  test('a discount is part of what the buyer pays: 100.00 + 10.00 BUYER_PAY - 20.00 is charged and notified as 90.00', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_partner_trade_by_buyer', {
      price: '100.00', quantity: '1', logistics_type: 'EXPRESS', logistics_fee: '10.00', logistics_payment: 'BUYER_PAY', discount: '-20.00',
    });
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.totalFee, '90.00');
    assert.match((await cashier(tradeNo)).html, /<dd id="amount" data-amount="90\.00">¥90\.00<\/dd>/);
    await press(tradeNo, 'pay');
    const { fields } = await notified(outTradeNo, 'WAIT_SELLER_SEND_GOODS');
    assert.equal(fields.total_fee, '90.00');
    assert.equal(fields.discount, '-20.00', 'the discount as the request gave it');
    assert.equal(fields.price, '100.00');
    assert.equal(fields.logistics_fee, '10.00');
  });

  test('trade_create_by_buyer is escrow too, and SELLER_PAY logistics are not charged to the buyer', async () => {
    const { tradeNo, outTradeNo } = await createTrade('trade_create_by_buyer', {
      price: '10.00', quantity: '2', logistics_type: 'POST', logistics_fee: '5.00', logistics_payment: 'SELLER_PAY',
    });
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.totalFee, '20.00');
    await press(tradeNo, 'pay');
    assert.equal((await notified(outTradeNo, 'WAIT_SELLER_SEND_GOODS')).fields.total_fee, '20.00');
  });
});

describe('donation', () => {
  test('without an amount the donor types it; the paid page shows when there is no return_url', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_donate_trade_p', {}, { returnUrl: false });
    const page = await cashier(tradeNo);
    assert.match(page.html, /<input id="donation-amount" name="total_fee"/);
    assert.match(page.html, /Chosen by the donor/);

    const empty = await press(tradeNo, 'pay');
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /enter the amount/);
    const bad = await press(tradeNo, 'pay', { total_fee: '1.234' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /total_fee/);
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.status, 'WAIT_BUYER_PAY');

    const paid = await press(tradeNo, 'pay', { total_fee: '12.5' });
    assert.equal(paid.status, 200);
    assert.match(await paid.text(), /<span id="paid-amount">12\.50<\/span>/);
    const { fields } = await notified(outTradeNo, 'TRADE_SUCCESS');
    assert.equal(fields.total_fee, '12.50');
    assert.equal(fields.price, '12.50');
    assert.equal(fields.quantity, '1');
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.totalFee, '12.50');
  });

  test('with an amount there is no amount field, and act() refuses a different one', async () => {
    const { tradeNo } = await createTrade('create_donate_trade_p', { total_fee: '5.00' });
    assert.doesNotMatch((await cashier(tradeNo)).html, /donation-amount/);
    await assert.rejects(sandbox.act(tradeNo, 'pay', { totalFee: '6.00' }), /fixed at ¥5\.00/);
    await sandbox.act(tradeNo, 'pay', { totalFee: '5.00' });
  });
});

describe('close', () => {
  test('an unpaid trade closes → TRADE_CLOSED is notified; then no button works', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    const closed = await press(tradeNo, 'close');
    assert.equal(closed.status, 302);
    assert.equal(closed.headers.get('location'), `/cashier/${tradeNo}`);
    const { fields } = await notified(outTradeNo, 'TRADE_CLOSED');
    assert.match(fields.gmt_close!, TIME);
    assert.equal(fields.gmt_payment, undefined);
    assert.equal(fields.refund_status, undefined);
    const page = await cashier(tradeNo);
    assert.deepEqual(page.buttons, []);
    assert.match(page.html, /id="no-actions"/);
    const pay = await press(tradeNo, 'pay');
    assert.equal(pay.status, 409);
    assert.match(await pay.text(), /the trade is over/);
  });

  test('an escrow trade closes while unpaid', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_partner_trade_by_buyer', {
      price: '1.00', quantity: '1', logistics_type: 'EMS', logistics_fee: '0.00', logistics_payment: 'SELLER_PAY',
    });
    await sandbox.act(tradeNo, 'close');
    await notified(outTradeNo, 'TRADE_CLOSED');
  });
});

describe('GBK', () => {
  test('a gbk request gets GBK notifications and a GBK return query, each signed over the GBK bytes', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_direct_pay_by_user', { total_fee: '0.01', body: '中文描述' }, { charset: 'gbk' });
    const paid = await press(tradeNo, 'pay');
    const ret = returnQuery(paid.headers.get('location'));
    assert.ok(ret.raw.includes('subject=%B2%E2%CA%D4%C9%CC%C6%B7'), 'the subject travels as GBK bytes');
    assert.deepEqual(verifyBytes(ret.params, KEY), { valid: true });

    const { n, fields } = await notified(outTradeNo, 'TRADE_SUCCESS', 'gbk');
    const raw = n.body.toString('latin1');
    assert.ok(raw.includes('%B2%E2%CA%D4'), 'GBK percent-encoding in the body');
    assert.ok(!raw.includes('%E6%B5%8B'), 'not UTF-8');
    assert.equal(decodeText(n.params.get('subject')!, 'gbk'), SUBJECT);
    assert.equal(fields.body, '中文描述');
    assert.throws(() => decodeText(n.params.get('subject')!, 'utf-8'), /not valid UTF-8/);
  });
});

describe('without notify_url, and odd requests', () => {
  test('no notify_url: the status changes but nothing is sent', async () => {
    const { tradeNo, outTradeNo } = await createTrade('create_direct_pay_by_user', { total_fee: '1.00' }, { notify: false });
    await sandbox.act(tradeNo, 'pay');
    await sandbox.idle();
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.status, 'TRADE_SUCCESS');
    assert.deepEqual(sandbox.trade(PARTNER, outTradeNo)?.notifyIds, []);
    assert.equal(receivedFor(outTradeNo).length, 0);
    assert.ok(sandbox.log.some((e) => e.tradeNo === tradeNo && /no notify_url: nothing sent/.test(e.detail)));
  });

  test('a subject with "&" and "=" (no rule of the doc forbids them) is echoed in the notification, whose sign verifies over the bytes', async () => {
    const outTradeNo = `cashier-${process.pid}-${++orderSeq}`;
    const request = {
      service: 'create_direct_pay_by_user', partner: PARTNER, _input_charset: 'utf-8', payment_type: '1', out_trade_no: outTradeNo,
      subject: 'Tea & cups = 2', total_fee: '1.00', seller_id: PARTNER, notify_url: merchant.notifyUrl,
    };
    const res = await fetch(`${sandbox.gatewayUrl}?${signedQuery(request, KEY, 'utf-8')}`, { redirect: 'manual' });
    const tradeNo = /^\/cashier\/(\d{28})$/.exec(res.headers.get('location') ?? '')?.[1];
    assert.ok(tradeNo, await res.text());
    await sandbox.act(tradeNo, 'pay');
    const { n, fields } = await notified(outTradeNo, 'TRADE_SUCCESS');
    assert.equal(fields.subject, 'Tea & cups = 2');
    assert.ok(n.body.toString('latin1').includes('subject=Tea+%26+cups+%3D+2'), 'percent-encoded once in the body');
  });

  test('an unknown trade or button is 404; act() rejects what the cashier would refuse', async () => {
    const missing = await fetch(`${sandbox.url}/cashier/2016092021001004380280045538`);
    assert.equal(missing.status, 404);
    const { tradeNo } = await createTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    assert.equal((await press(tradeNo, 'steal')).status, 404);
    await assert.rejects(sandbox.act(tradeNo, 'ship'), /ship is not possible for an instant trade in status WAIT_BUYER_PAY: possible now: pay, close/);
    await assert.rejects(sandbox.act('2016092021001004380280045538', 'pay'), /there is no trade 2016092021001004380280045538/);
  });
});
