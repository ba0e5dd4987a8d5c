// The sandbox log page in a real browser: one order's entries only, its own page views hidden, links to the order's
// cashier and result pages, the knobs explained, and a refresh that can be paused.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ARTIFACTS, useE2e } from '../support/e2e.ts';

const e = useE2e();

describe('the sandbox log page', () => {
  test('filters by order, hides its own views, links each row to the cashier and the result page', async () => {
    const page = await e.browser.newPage();
    const tradeNo = await e.buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
    const outTradeNo = await e.pay(page);
    // Another order, which the filter must leave out.
    await e.buy(page, 'ebook', 'create_direct_pay_by_user', 'utf-8');

    // Paused (?refresh=0, which every link on the page keeps) while the test clicks: a reload of the refreshing page
    // that comes as a click navigates would undo the click, and on a crowded machine a page load takes seconds.
    const log = `${e.stack.sandbox.url}/sandbox?refresh=0`;
    await page.goto(log);
    await page.goto(log); // a second view, so there are own page views to hide
    const kinds = await page.locator('#log tbody tr').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-kind')} ${r.lastElementChild?.textContent}`));
    assert.equal(kinds.some((k) => /^request GET \/sandbox/.test(k)), false, 'no view of the log page itself by default');
    assert.ok(Number(await page.locator('#hidden-views').getAttribute('data-count')) >= 2);
    await page.locator('#show-views').click();
    await page.locator('#log tbody tr[data-kind="request"]', { hasText: 'GET /sandbox' }).first().waitFor();

    await page.goto(log);
    await page.locator(`a.order-filter:text-is("${outTradeNo}")`).first().click();
    await page.locator('#order-filter').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('order'), outTradeNo);
    const orders = await page.locator('#log tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-out-trade-no')));
    assert.ok(orders.length >= 3, `the order's entries: ${orders.length}`);
    assert.deepEqual([...new Set(orders)], [outTradeNo], 'only the chosen order');
    await page.getByText('What the knobs do').waitFor();
    for (const knob of ['duplicate', 'delayMs', 'hold', 'drop', 'Release fifo / reverse']) await page.locator('#knob-help dt', { hasText: knob }).first().waitFor();
    assert.equal(await page.locator('#sandbox-control').getAttribute('data-refresh'), '0');
    await page.locator('#resume').click();
    await page.waitForURL((url) => url.searchParams.get('refresh') === null);
    assert.equal(await page.locator('#sandbox-control').getAttribute('data-refresh'), '5');
    await page.waitForEvent('load', { timeout: 120_000 }); // resumed: it reloads itself (5 s after loading)
    assert.equal(new URL(page.url()).searchParams.get('order'), outTradeNo, 'resuming keeps the filter');
    await page.locator('#pause').click();
    await page.waitForURL((url) => url.searchParams.get('refresh') === '0');
    assert.equal(await page.locator('#sandbox-control').getAttribute('data-refresh'), '0');
    assert.equal(new URL(page.url()).searchParams.get('order'), outTradeNo, 'pausing keeps the filter');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-log-one-order.png'), fullPage: true });

    await page.locator('a.cashier-link').first().click();
    await page.waitForURL(new RegExp(`/cashier/${tradeNo}$`));
    await page.getByText(outTradeNo).first().waitFor();
    await page.goBack();
    await page.locator('a.result-link').first().click();
    await page.waitForURL(/\/shop\/result\?outTradeNo=/);
    assert.equal(new URL(page.url()).searchParams.get('outTradeNo'), outTradeNo);
    await page.getByText(outTradeNo).first().waitFor();
    await page.close();
  });
});
