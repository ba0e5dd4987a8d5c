// The whole flow in a real browser: demo shop → POST /payments → sandbox cashier → pay → the shop's result page,
// while the sandbox's async notifications drive the order through the real handlers and DynamoDB Local.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ARTIFACTS, useE2e } from '../support/e2e.ts';

const e = useE2e();
const { buy, pay, act, apiOrder, settled, resultOf } = e;

describe('checkout in a real browser', () => {
  test('instant payment, UTF-8: paid on the return page, TRADE_SUCCESS, then TRADE_FINISHED when the refund window ends', async () => {
    const page = await e.browser.newPage();
    const tradeNo = await buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
    await page.getByText('西湖龙井茶').first().waitFor();
    await page.getByText('68.00').first().waitFor();
    const outTradeNo = await pay(page);
    assert.equal((await resultOf(page)).result, 'paid');
    await page.screenshot({ path: path.join(ARTIFACTS, 'return-page-instant-utf8.png'), fullPage: true });

    assert.equal((await settled(outTradeNo)).status, 'TRADE_SUCCESS');
    await act(page, tradeNo, 'finish');
    const order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_FINISHED', 'only the async notify reports the end of the refund window');
    assert.deepEqual(order.anomalies, []);
    const api = await apiOrder(outTradeNo);
    assert.equal(api.status, 'TRADE_FINISHED');
    assert.equal(api.totalFee, '68.00');
    await page.close();
  });

  test('instant payment, GBK with a Chinese subject: the cashier reads it right and GBK notifications verify', async () => {
    const page = await e.browser.newPage();
    const tradeNo = await buy(page, 'tea', 'create_direct_pay_by_user', 'gbk');
    await page.getByText('西湖龙井茶').first().waitFor(); // mojibake would not match
    const outTradeNo = await pay(page);
    assert.equal((await resultOf(page)).result, 'paid');
    await page.screenshot({ path: path.join(ARTIFACTS, 'return-page-instant-gbk.png'), fullPage: true });
    assert.equal(e.stack.sandbox.trade(e.stack.env.ALIPAY_PARTNER!, outTradeNo)?.charset, 'gbk');

    await act(page, tradeNo, 'finish');
    const order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_FINISHED', 'the GBK-signed TRADE_FINISHED notification was verified and applied');
    assert.equal(order.subject, '西湖龙井茶');
    assert.equal(order.charset, 'gbk');
    await page.close();
  });

  test('escrow: paid into escrow, the seller ships, the buyer confirms, TRADE_FINISHED', async () => {
    const page = await e.browser.newPage();
    const tradeNo = await buy(page, 'tea', 'create_partner_trade_by_buyer', 'utf-8');
    const outTradeNo = await pay(page);
    assert.deepEqual(await resultOf(page), { result: 'escrow', status: 'WAIT_SELLER_SEND_GOODS' }, 'paid into escrow, waiting for the seller to ship');
    assert.equal((await settled(outTradeNo)).status, 'WAIT_SELLER_SEND_GOODS');
    await act(page, tradeNo, 'ship');
    assert.equal((await settled(outTradeNo)).status, 'WAIT_BUYER_CONFIRM_GOODS');
    await act(page, tradeNo, 'confirm');
    const order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_FINISHED');
    assert.deepEqual(order.history.map((h) => h.status), ['WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS', 'TRADE_FINISHED']);
    await page.close();
  });

  test('the notify endpoint answers fail twice, then recovers: Alipay resends, the third send is applied', async () => {
    const page = await e.browser.newPage();
    const tradeNo = await buy(page, 'ebook', 'create_digital_goods_trade_p', 'utf-8');
    const outTradeNo = await pay(page);
    await settled(outTradeNo);
    const before = e.door.notifies.length;
    e.door.failNextNotifies(2);
    await act(page, tradeNo, 'finish');
    const order = await settled(outTradeNo);
    assert.deepEqual(e.door.notifies.slice(before), [{ outcome: 'fail' }, { outcome: 'fail' }, { outcome: 'forwarded', answer: 'success' }]);
    assert.equal(order.status, 'TRADE_FINISHED');
    await page.close();
  });

  test('duplicated and reordered deliveries: every copy answered success, each status applied once, the order ends TRADE_FINISHED', async () => {
    const page = await e.browser.newPage();
    e.stack.sandbox.setKnobs({ hold: true, duplicate: 2 });
    try {
      const tradeNo = await buy(page, 'tea', 'trade_create_by_buyer', 'gbk');
      const outTradeNo = await pay(page); // the return applies WAIT_SELLER_SEND_GOODS; its notification is held
      await act(page, tradeNo, 'ship');
      await act(page, tradeNo, 'confirm');
      const before = e.door.notifies.length;
      assert.equal(e.stack.sandbox.release('reverse'), 3, 'three notifications were held');
      const order = await settled(outTradeNo);
      const answers = e.door.notifies.slice(before);
      assert.equal(answers.length, 9, 'three notifications, each sent three times');
      assert.ok(answers.every((a) => a.outcome === 'forwarded' && a.answer === 'success'), JSON.stringify(answers));
      assert.equal(order.status, 'TRADE_FINISHED');
      assert.deepEqual(order.history.map((h) => h.status), ['WAIT_SELLER_SEND_GOODS', 'TRADE_FINISHED'], 'late lower statuses are stale, copies are duplicates');
      assert.deepEqual(order.anomalies, []);
    } finally {
      e.stack.sandbox.setKnobs({ hold: false, duplicate: 0 });
      e.stack.sandbox.release('fifo');
    }
    await page.close();
  });

  test('a donation: the donor picks the amount on the cashier, the order records what was paid', async () => {
    const page = await e.browser.newPage();
    await buy(page, 'donation', 'create_donate_trade_p', 'utf-8');
    const outTradeNo = await pay(page, { donation: '8.88' });
    assert.equal((await resultOf(page)).result, 'paid');
    await settled(outTradeNo);
    const api = await apiOrder(outTradeNo);
    assert.equal(api.paidFee, '8.88');
    await page.close();
  });

  test("a tampered amount: the sandbox shows Alipay's ILLEGAL_SIGN page and the order stays unpaid", async () => {
    const page = await e.browser.newPage();
    let outTradeNo = '';
    await page.route('**/shop/checkout', async (route) => {
      const response = await route.fetch();
      const html = await response.text();
      outTradeNo = /name="out_trade_no" value="([^"]+)"/.exec(html)![1]!;
      assert.match(html, /name="total_fee" value="68.00"/);
      await route.fulfill({ response, body: html.replace('name="total_fee" value="68.00"', 'name="total_fee" value="0.01"') });
    });
    await page.goto(e.stack.shopUrl);
    await page.check('input[name=product][value=tea]');
    await page.selectOption('#service', 'create_direct_pay_by_user');
    await page.click('#buy');
    const code = page.locator('#error-code');
    await code.waitFor();
    assert.equal(await code.getAttribute('data-error-code'), 'ILLEGAL_SIGN');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-error-illegal-sign.png'), fullPage: true });
    assert.equal((await apiOrder(outTradeNo)).status, 'CREATED');
    assert.equal(e.stack.sandbox.trade(e.stack.env.ALIPAY_PARTNER!, outTradeNo), undefined, 'no trade was created');
    await page.close();
  });
});
