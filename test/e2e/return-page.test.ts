// Without RETURN_RESULT_URL the buyer stays on the return handler's own page: verified, applied, and saying paid.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ARTIFACTS, useE2e } from '../support/e2e.ts';

const e = useE2e({ RETURN_RESULT_URL: '' });

describe("the return handler's own page in a real browser", () => {
  test('GBK instant payment: GET /alipay/return verifies the GBK query, applies it and says paid in Chinese and English', async () => {
    const page = await e.browser.newPage();
    // Hold the async notification, so the page can only say paid if the return itself was verified and applied.
    e.stack.sandbox.setKnobs({ hold: true });
    try {
      await e.buy(page, 'tea', 'create_direct_pay_by_user', 'gbk');
      const outTradeNo = await e.pay(page, { landing: /\/alipay\/return\?/ });
      assert.deepEqual(await e.resultOf(page, 'body'), { result: 'paid', status: null });
      await page.getByText('支付成功 · Payment received').waitFor();
      await page.getByText(outTradeNo).waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, 'return-page-handler-gbk.png'), fullPage: true });
      const order = await e.settled(outTradeNo);
      assert.equal(order.status, 'TRADE_SUCCESS');
      assert.deepEqual(order.history.map((h) => h.source), ['return'], 'the return, confirmed by notify_verify within its minute, was applied');
    } finally {
      e.stack.sandbox.setKnobs({ hold: false });
      e.stack.sandbox.release();
    }
    await page.close();
  });

  test('a return whose query was altered is refused: "could not verify", nothing changes', async () => {
    const page = await e.browser.newPage();
    await e.buy(page, 'ebook', 'create_direct_pay_by_user', 'utf-8');
    // The amount is changed in the redirect back from Alipay (as a buyer editing the address would).
    await page.route('**/cashier/*/pay', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = response.headers().location!;
      assert.match(location, /total_fee=9\.90/);
      await route.fulfill({ status: 302, headers: { location: location.replace('total_fee=9.90', 'total_fee=0.01') } });
    });
    const outTradeNo = await e.pay(page, { landing: /\/alipay\/return\?/ });
    assert.equal((await e.resultOf(page, 'body')).result, 'unverified');
    const order = await e.settled(outTradeNo);
    assert.ok(!order.history.some((h) => h.source === 'return'), 'the altered return changed nothing');
    assert.equal(order.status, 'TRADE_SUCCESS', 'the async notify, untouched, is what marks it paid');
    await page.close();
  });
});
