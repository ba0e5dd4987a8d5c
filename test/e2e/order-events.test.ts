// In the browser: pay in the demo shop while the sandbox sends every notification three times; the shop's
// fulfilment page (fed only by the pushed events on its webhook, never by GET /payments) shows "fulfilled", once.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ARTIFACTS, useE2e } from '../support/e2e.ts';

const e = useE2e({ SANDBOX_DUPLICATE: '3' });

describe('order events pushed to the demo shop', () => {
  test('paid: the shop shows fulfilled from the Order Paid event, and fulfils once whatever the copies', async () => {
    const page = await e.browser.newPage();
    await e.buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
    const outTradeNo = await e.pay(page);
    await page.goto(`${e.stack.apiUrl}/shop/fulfilment/${encodeURIComponent(outTradeNo)}`);
    // The page reloads itself every second until the event has come; generous for a crowded machine.
    await page.locator('[data-fulfilment="fulfilled"]').waitFor({ timeout: 120_000 });
    await e.settled(outTradeNo); // every copy of every notification delivered and answered
    await page.reload();
    assert.equal(await page.locator('#fulfilment').getAttribute('data-count'), '1');
    assert.equal(await page.locator('#events tr', { hasText: 'Order Paid' }).count(), 1);
    assert.ok(await page.getByText(`${outTradeNo}#2#Order Paid`).first().isVisible());
    await page.screenshot({ path: path.join(ARTIFACTS, 'shop-fulfilment.png'), fullPage: true });
    assert.equal(e.stack.orderEvents.shop.fulfilments(outTradeNo), 1);
    await page.close();
  });
});
