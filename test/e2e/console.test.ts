// The orders console in a real browser, through the local stack `npm start` runs: a paid (GBK), a refunded and an
// anomalous order each show their own timeline; the list's filters and paging; every action asks for confirmation
// before it acts; and `npm run console -- --endpoint …` (its own process) on the same tables is read-only. No page
// ever shows the MD5 key or the storefront token.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, useE2e } from '../support/e2e.ts';

const e = useE2e({ ALIPAY_KEY: 'consoletestfakekeynotsecret00001', STOREFRONT_TOKEN: 'console-test-storefront-token-not-secret' });
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const orders = { paid: '', refunded: '', anomalous: '' };
/** Every console page the tests saw, for the secrets check at the end. */
const seen: string[] = [];

const consoleUrl = () => `${e.stack.apiUrl}/console`;
const orderUrl = (outTradeNo: string, base = consoleUrl()) => `${base}/orders/${outTradeNo}`;

async function keep(page: Page): Promise<void> {
  seen.push(await page.content());
}

/** The order page as a phone shows it: nothing wider than the screen but the tables' own scroll boxes. */
async function assertFitsPhone(page: Page): Promise<void> {
  const width = await page.locator('html').evaluate((html) => html.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide at a 390 px viewport`);
}

async function timeline(page: Page): Promise<string[]> {
  // Each item without its time: "kind: what it says".
  return page.locator('#timeline > li').evaluateAll((lis) => lis.map((li) =>
    `${li.getAttribute('data-kind')}: ${(li.textContent ?? '').slice(li.firstElementChild?.textContent?.length ?? 0).replace(/\s+/g, ' ').trim()}`));
}

describe('the orders console', () => {
  test('a paid GBK order: in the list, and its timeline shows the notification decoded, applied, and the history it made', async () => {
    const page = await e.browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const tradeNo = await e.buy(page, 'tea', 'create_direct_pay_by_user', 'gbk');
    orders.paid = await e.pay(page);
    assert.equal((await e.settled(orders.paid)).status, 'TRADE_SUCCESS');

    await page.goto(consoleUrl());
    await keep(page);
    await Promise.all([page.waitForURL(orderUrl(orders.paid)), page.click(`#orders a:text-is("${orders.paid}")`)]);
    await keep(page);
    assert.equal(await page.getAttribute('#status', 'data-status'), 'TRADE_SUCCESS');
    assert.equal(await page.textContent('#paid'), '¥68.00');
    assert.equal(await page.textContent('#subject'), '西湖龙井茶');
    const items = await timeline(page);
    // The buyer's return and Alipay's notification race: one applies TRADE_SUCCESS, the other is its duplicate.
    assert.ok(items.some((i) => /^message: (notify|return) applied TRADE_SUCCESS/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^message: notify (applied|duplicate) TRADE_SUCCESS/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^history: .*(notify|return) → TRADE_SUCCESS/.test(i)), items.join('\n'));
    assert.ok(!items.some((i) => i.startsWith('anomaly')), items.join('\n'));
    // The GBK notification's fields, decoded: the subject in Chinese, its charset named.
    const message = page.locator('#timeline > li[data-kind=message]').filter({ has: page.locator('.tag:text-is("notify")') }).first();
    await message.locator('summary').click();
    assert.match(await message.locator('summary').textContent() ?? '', /gbk/);
    assert.equal(await message.locator('tr', { has: page.locator('th:text-is("subject")') }).locator('td').textContent(), '西湖龙井茶');
    // Its pages elsewhere: the sandbox cashier, the shop's result page, what the sandbox logged.
    assert.equal(await page.getAttribute('#link-cashier', 'href'), `${e.stack.sandbox.url}/cashier/${tradeNo}`);
    assert.equal(await page.getAttribute('#link-result', 'href'), `${e.stack.apiUrl}/shop/result?outTradeNo=${orders.paid}`);
    assert.match(await page.getAttribute('#link-sandbox-log', 'href') ?? '', new RegExp(`^${e.stack.sandbox.url}/sandbox`));
    assert.ok(await page.locator('#sandbox-log tr').count() >= 2, 'the sandbox log rows of this order');
    await assertFitsPhone(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-paid-order-390px.png'), fullPage: true });

    // Replay asks first, showing today's dry run of the message; cancelling writes nothing.
    const before = await e.store.getOrder(orders.paid);
    await message.locator('button[data-action=replay]').click();
    await page.locator('#confirm-question').waitFor();
    await keep(page);
    assert.match(await page.textContent('#preview') ?? '', /signature valid[\s\S]*decision +duplicate[\s\S]*dry run: nothing written/);
    await Promise.all([page.waitForURL(orderUrl(orders.paid)), page.click('#cancel')]);
    assert.deepEqual(await e.store.getOrder(orders.paid), before);
    await page.close();
  });

  test('a refunded order: the refund asks for confirmation first; then the ledger, the request and the batch notification', async () => {
    const page = await e.browser.newPage();
    await e.buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
    orders.refunded = await e.pay(page);
    assert.equal((await e.settled(orders.refunded)).status, 'TRADE_SUCCESS');

    await page.goto(orderUrl(orders.refunded));
    await page.fill('input[name=amount]', '68.00');
    await page.fill('input[name=reason]', '退货 returned');
    await page.selectOption('select[name=mode]', 'nopwd');
    await page.click('#action-refund');
    await page.locator('#confirm-question').waitFor();
    await keep(page);
    assert.match(await page.textContent('#confirm-question') ?? '', /Refund ¥68\.00 of order .*nopwd.*退货 returned/);
    assert.equal((await e.store.getOrder(orders.refunded))?.refunds, undefined, 'nothing is asked of Alipay before the confirmation');

    await page.click('#confirm');
    await page.locator('#done').waitFor();
    assert.match(await page.textContent('#done') ?? '', /Refund \d+ requested: ¥68\.00 \(nopwd\)/);
    const order = await e.settled(orders.refunded);
    assert.equal(order.status, 'TRADE_CLOSED');
    assert.deepEqual(order.refunds?.map((r) => r.status), ['SUCCESS']);

    await page.click('#back');
    await page.locator('#refund-ledger').waitFor();
    await keep(page);
    assert.equal(await page.getAttribute('#status', 'data-status'), 'TRADE_CLOSED');
    assert.equal(await page.locator('#refund-ledger tbody tr').count(), 1);
    assert.equal(await page.getAttribute('#refund-ledger tbody tr', 'data-status'), 'SUCCESS');
    assert.match(await page.textContent('#refunded') ?? '', /¥68\.00, refundable ¥0\.00/);
    const items = await timeline(page);
    assert.ok(items.some((i) => /^message: refund_request applied — 68\.00 nopwd/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^refund: refund requested batch \d+: ¥68\.00 \(nopwd\) — 退货 returned/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^refund: refund SUCCESS/.test(i)), items.join('\n'));
    // Alipay's trade notification (REFUND_SUCCESS) and its batch refund notification: whichever comes first settles it.
    assert.ok(items.some((i) => /^message: notify (applied|duplicate)/.test(i) && i.includes('batch_refund_notify')), items.join('\n'));
    assert.ok(items.some((i) => /^history: history notify → TRADE_CLOSED REFUND_SUCCESS/.test(i)), items.join('\n'));
    assert.equal(await page.locator('#action-refund').count(), 0, 'nothing left to refund');
    await page.close();
  });

  test('an anomalous order: closed from the console (after a confirmation), then paid at Alipay anyway: paid_after_close', async () => {
    const page = await e.browser.newPage();
    const outTradeNo = `console-anomaly-${Date.now()}`;
    orders.anomalous = outTradeNo;
    const created = await fetch(`${e.stack.apiUrl}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e.stack.env.STOREFRONT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'create_direct_pay_by_user', outTradeNo, subject: '测试 anomaly', totalFee: '1.00' }),
    });
    assert.equal(created.status, 201);
    const { form } = (await created.json()) as { form: { action: string; fields: Record<string, string> } };

    await page.goto(orderUrl(outTradeNo));
    await page.click('#action-close');
    await page.locator('#confirm-question').waitFor();
    assert.equal((await e.store.getOrder(outTradeNo))?.status, 'CREATED', 'not closed before the confirmation');
    await page.click('#confirm');
    await page.locator('#done').waitFor();
    assert.equal((await e.store.getOrder(outTradeNo))?.status, 'TRADE_CLOSED');

    // The buyer still had the payment form, and pays with it: Alipay had no trade to close, so it takes the money.
    const opened = await fetch(form.action, { method: 'POST', body: new URLSearchParams(form.fields), redirect: 'manual' });
    const tradeNo = /\/cashier\/(\d+)/.exec(opened.headers.get('location') ?? '')?.[1];
    assert.ok(tradeNo, `the sandbox opened a cashier (HTTP ${opened.status})`);
    await e.stack.sandbox.act(tradeNo, 'pay');
    assert.deepEqual((await e.settled(outTradeNo)).anomalies.map((a) => a.code), ['paid_after_close']);

    await page.goto(orderUrl(outTradeNo));
    await keep(page);
    assert.equal(await page.getAttribute('#status', 'data-status'), 'TRADE_CLOSED');
    const items = await timeline(page);
    assert.ok(items.some((i) => /^message: close applied/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^history: .*close → TRADE_CLOSED/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^message: notify anomaly TRADE_SUCCESS/.test(i)), items.join('\n'));
    assert.ok(items.some((i) => /^anomaly: .*paid_after_close/.test(i)), items.join('\n'));
    assert.equal(await page.locator('#anomalies li[data-code=paid_after_close]').count(), 1);
    await page.close();
  });

  test('the list: newest first, filtered by status, anomalies, service (in memory, said so) and date, one page at a time', async () => {
    const page = await e.browser.newPage();
    const listed = async () => page.locator('#orders tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-out-trade-no')));
    await page.goto(consoleUrl());
    assert.deepEqual(await listed(), [orders.anomalous, orders.refunded, orders.paid]);

    await page.check('#f-anomalies');
    await Promise.all([page.waitForURL(/anomalies=1/), page.click('#f-apply')]);
    assert.deepEqual(await listed(), [orders.anomalous]);

    await page.uncheck('#f-anomalies');
    await page.selectOption('#f-status', 'TRADE_SUCCESS');
    await Promise.all([page.waitForURL(/status=TRADE_SUCCESS/), page.click('#f-apply')]);
    assert.deepEqual(await listed(), [orders.paid]);

    await page.selectOption('#f-status', '');
    await page.selectOption('#f-service', 'create_partner_trade_by_buyer');
    await Promise.all([page.waitForURL(/service=/), page.click('#f-apply')]);
    assert.equal(await page.locator('#no-orders').count(), 1);
    assert.match(await page.locator('.note').allTextContents().then((t) => t.join(' ')), /Service is not indexed: this page read 3 orders .* in memory/);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${consoleUrl()}?since=${tomorrow}`);
    assert.equal(await page.locator('#no-orders').count(), 1);
    await page.goto(`${consoleUrl()}?since=${new Date().toISOString().slice(0, 10)}`);
    assert.equal((await listed()).length, 3);

    await page.goto(`${consoleUrl()}?limit=2`);
    assert.deepEqual(await listed(), [orders.anomalous, orders.refunded]);
    await page.click('#next-page');
    await page.waitForURL(/cursor=/);
    assert.deepEqual(await listed(), [orders.paid]);
    assert.equal(await page.locator('#next-page').count(), 0);
    await keep(page);
    await page.close();
  });

  test('an action is only taken from the console\'s own page: no token, another origin or another host is refused', async () => {
    const close = (headers: Record<string, string>, body: string) =>
      fetch(`${orderUrl(orders.paid)}/close`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    assert.equal((await close({}, 'confirmed=yes')).status, 403);
    const page = await e.browser.newPage();
    await page.goto(orderUrl(orders.paid));
    const token = await page.getAttribute('input[name=csrf]', 'value');
    assert.ok(token);
    assert.equal((await close({ origin: 'http://evil.example' }, `csrf=${token}&confirmed=yes`)).status, 403);
    // A page of another site whose name was made to point at 127.0.0.1 (DNS rebinding) is not answered.
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get(consoleUrl(), { headers: { host: 'evil.example' } }, (res) => resolve(res.resume().statusCode!)).on('error', reject);
    });
    assert.equal(rebound, 403);
    // The right token from the right page: the use case answers (a paid order cannot be closed).
    const refused = await close({ origin: e.stack.apiUrl }, `csrf=${token}&confirmed=yes`);
    assert.equal(refused.status, 409);
    assert.match(await refused.text(), /NOT_CLOSABLE/);
    await page.close();
  });

  describe('npm run console -- --endpoint (its own process) on the same tables', () => {
    let child: ChildProcess | undefined;
    after(() => {
      if (child?.pid) process.kill(-child.pid, 'SIGTERM');
    });

    test('lists the orders and shows their timelines, read-only: no actions shown, and any action refused with 403', async () => {
      child = spawn('npm', ['run', '--silent', 'console', '--', '--endpoint', e.stack.dynamodbEndpoint,
        '--orders-table', e.stack.env.ORDERS_TABLE!, '--notifications-table', e.stack.env.NOTIFICATIONS_TABLE!], {
        cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const look = (d: Buffer) => {
          output += d.toString('utf8');
          const m = /(http:\/\/127\.0\.0\.1:\d+\/console)/.exec(output);
          if (m) resolve(m[1]!);
        };
        child!.stdout!.on('data', look);
        child!.stderr!.on('data', look);
        child!.on('exit', (code) => reject(new Error(`npm run console exited ${code}: ${output}`)));
      });
      assert.match(output, /read-only/);

      const page = await e.browser.newPage();
      await page.goto(url);
      await keep(page);
      assert.equal(await page.getAttribute('#mode', 'data-actions'), 'false');
      assert.deepEqual(await page.locator('#orders tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-out-trade-no'))), [orders.anomalous, orders.refunded, orders.paid]);
      await page.goto(orderUrl(orders.paid, url));
      await keep(page);
      assert.equal(await page.getAttribute('#status', 'data-status'), 'TRADE_SUCCESS');
      assert.ok((await timeline(page)).some((i) => /(notify|return) applied TRADE_SUCCESS/.test(i)));
      assert.equal(await page.locator('#actions, form[method=post]').count(), 0, 'no action is offered');
      const refused = await fetch(`${orderUrl(orders.paid, url)}/refund`, { method: 'POST', body: 'amount=1.00&reason=x&confirmed=yes', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /read-only: start it with --allow-actions/);
      await page.close();
    });
  });

  test('no page shows the MD5 key or the storefront token', () => {
    assert.ok(seen.length >= 8, `${seen.length} pages seen`);
    for (const secret of [e.stack.env.ALIPAY_KEY!, e.stack.env.STOREFRONT_TOKEN!]) {
      assert.ok(secret.length >= 16);
      for (const html of seen) assert.ok(!html.includes(secret), 'a console page shows a secret');
    }
  });
});
