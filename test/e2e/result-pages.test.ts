// The buyer-facing pages on a phone, in a real browser: each state of an order has its own honest result page,
// an unpaid order's page checks again with a backoff and stops (once paid, or after a while), the shop offers only
// the services a product can be bought with, and the shop, the sandbox cashier and the result pages fit 390 px.
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEFAULT_POLL } from '../../infra/local/shop-result-page.ts';
import { BUYER_STATES, type BuyerState } from '../../shared/orders/buyer-state.ts';
import { BUYER_TEXT, buyerHeading, renderReturnPage } from '../../shared/http/return-page.ts';
import { ARTIFACTS, useE2e, type Service } from '../support/e2e.ts';

const e = useE2e();
const PHONE = { width: 390, height: 844 };

async function phonePage(): Promise<Page> {
  const page = await e.browser.newPage();
  await page.setViewportSize(PHONE);
  return page;
}

/** A storefront call to the API with its bearer token. */
async function api(method: 'POST' | 'GET', route: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${e.stack.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${e.stack.env.STOREFRONT_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

let serial = 0;
/** An order created through POST /payments and opened on the sandbox cashier, as a buyer's browser would: its trade_no. */
async function openTrade(service: Service): Promise<{ outTradeNo: string; tradeNo: string }> {
  const outTradeNo = `pages-${process.pid}-${++serial}`;
  const common = { service, outTradeNo, subject: '西湖龙井茶', charset: 'utf-8' };
  const body = service === 'create_partner_trade_by_buyer'
    ? { ...common, price: '68.00', quantity: '1', logistics: [{ type: 'EXPRESS', fee: '0.00', payment: 'SELLER_PAY' }] }
    : { ...common, totalFee: '68.00' };
  const created = await api('POST', '/payments', body);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const { action, fields } = created.json.form as { action: string; fields: Record<string, string> };
  const res = await fetch(action, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  const tradeNo = /\/cashier\/(\d+)$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, `the sandbox opened a cashier (answered ${res.status})`);
  return { outTradeNo, tradeNo };
}

/** Nothing wider than the phone, and each selector's element shown within it. */
async function assertFitsPhone(page: Page, what: string, selectors: string[] = []): Promise<void> {
  const width = await page.evaluate('document.documentElement.scrollWidth') as number;
  assert.ok(width <= PHONE.width, `${what}: the page is ${width} px wide on a ${PHONE.width} px screen`);
  for (const selector of selectors) {
    const box = await page.locator(selector).first().boundingBox();
    assert.ok(box, `${what}: ${selector} is shown`);
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${what}: ${selector} spans ${box.x}..${box.x + box.width} px`);
  }
}

async function shows(page: Page, state: BuyerState, what: string): Promise<void> {
  const heading = page.locator('#result');
  assert.equal(await heading.getAttribute('data-result'), state, what);
  assert.equal((await heading.textContent())?.trim(), buyerHeading(state), what);
}

describe('result pages, one per state, on a phone', () => {
  test("the shop's result page: paid, escrow, shipped, partly and fully refunded, closed, waiting, unverified, unknown", async () => {
    // Seven orders, each driven to its state on the sandbox (side by side: they are independent).
    const driven = async (service: Service, ...actions: ('pay' | 'ship' | 'refund' | 'close')[]) => {
      const trade = await openTrade(service);
      for (const action of actions) await e.stack.sandbox.act(trade.tradeNo, action);
      return trade;
    };
    const [paid, escrow, shipped, partly, full, closed, waiting] = await Promise.all([
      driven('create_direct_pay_by_user', 'pay'),
      driven('create_partner_trade_by_buyer', 'pay'),
      driven('create_partner_trade_by_buyer', 'pay', 'ship'),
      driven('create_direct_pay_by_user', 'pay'),
      driven('create_direct_pay_by_user', 'pay', 'refund'),
      driven('create_direct_pay_by_user', 'close'),
      driven('create_direct_pay_by_user'),
    ]);
    await e.settled(partly.outTradeNo);
    const refund = await api('POST', `/payments/${partly.outTradeNo}/refunds`, { amount: '20.00', reason: '退货 returned', requestId: 'pages-partly', mode: 'nopwd' });
    assert.equal(refund.status, 201, JSON.stringify(refund.json));
    await e.stack.sandbox.idle();

    const page = await phonePage();
    const cases: [BuyerState, string, string | null][] = [
      ['paid', `/shop/orders/${paid.outTradeNo}`, paid.outTradeNo],
      ['escrow', `/shop/result?outTradeNo=${escrow.outTradeNo}&result=escrow`, escrow.outTradeNo],
      ['shipped', `/shop/orders/${shipped.outTradeNo}`, shipped.outTradeNo],
      ['partlyrefunded', `/shop/orders/${partly.outTradeNo}`, partly.outTradeNo],
      ['refunded', `/shop/orders/${full.outTradeNo}`, full.outTradeNo],
      ['closed', `/shop/orders/${closed.outTradeNo}`, closed.outTradeNo],
      ['waiting', `/shop/orders/${waiting.outTradeNo}`, waiting.outTradeNo],
      // A return the handler could not verify still names the order the link claims, and changes nothing.
      ['unverified', `/shop/result?outTradeNo=${paid.outTradeNo}&result=unverified`, paid.outTradeNo],
      ['unverified', '/shop/result?result=unverified', null],
      ['unknown', '/shop/orders/no-such-order-1', 'no-such-order-1'],
      ['unknown', '/shop/result', null],
    ];
    for (const [state, route, outTradeNo] of cases) {
      await page.goto(`${e.stack.apiUrl}${route}`);
      await shows(page, state, route);
      if (outTradeNo) await page.locator('#order td', { hasText: outTradeNo }).waitFor();
      await assertFitsPhone(page, route, ['#result', ...(outTradeNo ? ['#order'] : [])]);
      if (['waiting', 'partlyrefunded', 'unverified'].includes(state) && outTradeNo) await page.screenshot({ path: path.join(ARTIFACTS, `result-page-390-${state}.png`), fullPage: true });
    }
    // Only the waiting page checks again by itself; every final or paid state is left alone.
    await page.goto(`${e.stack.apiUrl}/shop/orders/${paid.outTradeNo}`);
    assert.equal(await page.locator('#poll').count(), 0, 'a paid order is not polled');
    await page.goto(`${e.stack.apiUrl}/shop/orders/${partly.outTradeNo}`);
    assert.equal(await page.locator('td', { hasText: '¥20.00' }).count(), 1, 'the refunded amount is shown');
    await page.close();
  });

  test("the return handler's own page: each state has its own heading and fits a phone", async () => {
    const page = await phonePage();
    const headings = new Set<string>();
    for (const state of BUYER_STATES) {
      await page.setContent(renderReturnPage(state, { outTradeNo: 'demo-20261130041502-0a1b2c3d4e5f60718293', amountFen: 6800 }));
      await shows(page, state, state);
      headings.add(buyerHeading(state));
      assert.ok((await page.locator('#note').textContent())?.includes(BUYER_TEXT[state].note.slice(0, 20)));
      await page.locator('#out-trade-no').waitFor();
      await assertFitsPhone(page, `return page ${state}`, ['#result', '#out-trade-no']);
      if (state === 'unverified') await page.getByText('Order named in the link').waitFor();
      assert.equal(await page.locator('#check-again').count(), state === 'waiting' ? 1 : 0, `${state}: "check again" only while waiting`);
    }
    assert.equal(headings.size, BUYER_STATES.length);
    await page.close();
  });

  test('an altered return lands on the shop saying "could not verify", with the order number', async () => {
    const page = await phonePage();
    await e.buy(page, 'ebook', 'create_direct_pay_by_user', 'utf-8');
    await page.route('**/cashier/*/pay', async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = response.headers().location!;
      await route.fulfill({ status: 302, headers: { location: location.replace('total_fee=9.90', 'total_fee=0.01') } });
    });
    const outTradeNo = await e.pay(page);
    await shows(page, 'unverified', 'an altered return');
    await page.locator('#order td', { hasText: outTradeNo }).waitFor();
    await Promise.all([page.waitForURL(/\/shop\/orders\//), page.click('#order-status')]);
    await shows(page, 'paid', 'the order itself, paid by the untouched notification');
    await page.close();
  });
});

/** The page's timers run only when the test says so (the clock is the browser context's: resumed after each test). */
async function pauseClock(page: Page): Promise<void> {
  const start = new Date('2026-11-30T04:00:00Z').getTime();
  await page.clock.install({ time: start });
  await page.clock.pauseAt(start + 60_000);
}

describe('an unpaid order: checking again, and going back to pay', () => {
  afterEach(async () => {
    await e.browser.context.clock.resume();
  });

  test('the waiting page backs off, and stops polling once the order is paid', async () => {
    const page = await phonePage();
    await pauseClock(page);
    const checks: string[] = [];
    page.on('request', (r) => { if (r.url().endsWith('/state')) checks.push(r.url()); });
    const { outTradeNo, tradeNo } = await openTrade('create_direct_pay_by_user');
    await page.goto(`${e.stack.apiUrl}/shop/orders/${outTradeNo}`);
    await shows(page, 'waiting', 'before paying');
    const poll = page.locator('#poll');
    assert.equal(await poll.getAttribute('data-polling'), 'on');
    assert.equal(await poll.getAttribute('data-delays'), DEFAULT_POLL.delaysMs.join(','));
    await page.locator('#check-again').waitFor();
    await page.locator('#back-to-shop').waitFor();

    // Nothing is asked before the first delay; one check after it, still waiting.
    await page.clock.runFor(DEFAULT_POLL.delaysMs[0]! - 100);
    assert.equal(checks.length, 0, 'no check before the first delay');
    await page.clock.runFor(200);
    await page.waitForFunction("document.getElementById('poll').dataset.checks === '2'");
    assert.equal(checks.length, 1);
    assert.equal(await page.locator('#poll-status').textContent().then((t) => t?.includes(`${DEFAULT_POLL.delaysMs[1]! / 1000} s`)), true, 'the second wait is longer');

    await e.stack.sandbox.act(tradeNo, 'pay');
    await e.settled(outTradeNo);
    await Promise.all([page.waitForURL(`**/shop/orders/${outTradeNo}`, { waitUntil: 'load' }), page.clock.runFor(DEFAULT_POLL.delaysMs[1]!)]);
    await page.locator('#result[data-result="paid"]').waitFor();
    const after = checks.length;
    await page.clock.runFor(15 * 60_000);
    assert.equal(checks.length, after, 'a paid order is never checked again');
    assert.equal(await page.locator('#poll').count(), 0);
    await page.close();
  });

  test('the waiting page stops after a while and offers "check again"', async () => {
    const page = await phonePage();
    await pauseClock(page);
    let checks = 0;
    page.on('request', (r) => { if (r.url().endsWith('/state')) checks++; });
    const { outTradeNo } = await openTrade('create_direct_pay_by_user');
    await page.goto(`${e.stack.apiUrl}/shop/orders/${outTradeNo}`);
    const poll = page.locator('#poll');
    for (let i = 1; i <= DEFAULT_POLL.maxChecks; i++) {
      await page.clock.runFor(30_000);
      await page.waitForFunction(`document.getElementById('poll').dataset.checks === '${i + 1}' || document.getElementById('poll').dataset.polling === 'stopped'`);
    }
    assert.equal(await poll.getAttribute('data-polling'), 'stopped');
    assert.equal(checks, DEFAULT_POLL.maxChecks);
    await page.getByText('Stopped checking by itself').waitFor();
    await page.clock.runFor(30 * 60_000);
    assert.equal(checks, DEFAULT_POLL.maxChecks, 'no check after stopping');
    await Promise.all([page.waitForLoadState('load'), page.click('#check-again')]);
    await shows(page, 'waiting', 'checked again');
    assert.equal(await page.locator('#poll').getAttribute('data-polling'), 'on', 'checking again starts over');
    await page.close();
  });

  test('"continue to pay" takes the buyer back to the same trade on Alipay', async () => {
    const page = await phonePage();
    const tradeNo = await e.buy(page, 'tea', 'create_direct_pay_by_user', 'utf-8');
    const outTradeNo = await page.locator('#out-trade-no').textContent();
    await page.goto(`${e.stack.apiUrl}/shop/orders/${outTradeNo}`);
    await shows(page, 'waiting', 'an abandoned order');
    await Promise.all([page.waitForURL(/\/cashier\/\d+$/), page.click('#pay-again')]);
    assert.equal(/\/cashier\/(\d+)$/.exec(page.url())![1], tradeNo, 'the same Alipay trade');
    await e.pay(page);
    await shows(page, 'paid', 'paid on the second visit');
    await page.close();
  });
});

describe('the shop and the cashier on a phone', () => {
  test('the shop offers only the services a product can be bought with; the donation buys with its default', async () => {
    const page = await phonePage();
    await page.goto(e.stack.shopUrl);
    await assertFitsPhone(page, 'the shop', ['#service', '#buy']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'shop-390.png'), fullPage: true });
    const offered = () => page.locator('#service option:not([disabled])').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    assert.ok(!(await offered()).includes('create_donate_trade_p'), 'tea is not a donation');
    assert.equal(await page.locator('#service').inputValue(), 'create_direct_pay_by_user');

    await page.check('input[name=product][value=donation]');
    assert.deepEqual(await offered(), ['create_donate_trade_p']);
    await Promise.all([page.waitForURL(/\/cashier\/\d+$/), page.click('#buy')]);
    await page.locator('#donation-amount').waitFor();
    await page.goto(e.stack.shopUrl);
    await page.check('input[name=product][value=ebook]');
    assert.equal(await page.locator('#service').inputValue(), 'create_direct_pay_by_user');
    await page.close();
  });

  test('the cashier shows seller, trade number and status within 390 px', async () => {
    const page = await phonePage();
    const { tradeNo } = await openTrade('create_partner_trade_by_buyer');
    await page.goto(`${e.stack.sandbox.url}/cashier/${tradeNo}`);
    await assertFitsPhone(page, 'the cashier', ['#seller', '#trade-no', '#trade-status', '#out-trade-no', '#pay']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'cashier-390.png'), fullPage: true });
    await page.close();
  });
});
