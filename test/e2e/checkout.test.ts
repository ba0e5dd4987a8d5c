// The whole flow in a real browser: demo shop → POST /payments → sandbox cashier → pay → return page, while the
// sandbox's async notifications drive the order through the real handlers and DynamoDB Local.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import type { Order } from '../../shared/orders/order.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { captureLogs } from '../support/app-env.ts';
import { launchBrowser, type TestBrowser } from '../support/browser.ts';
import { uniqueTableName } from '../support/dynamodb.ts';
import { FrontDoor } from '../support/front-door.ts';

const ARTIFACTS = path.resolve('test-artifacts', 'e2e');

let stack: LocalStack;
let door: FrontDoor;
let browser: TestBrowser;
let store: DynamoDbPaymentStore;
// The handlers' JSON logs go to an artifact file instead of the test output (TEST_LOGS=1 shows them).
const logs = captureLogs();

before(async () => {
  door = await new FrontDoor().start();
  const tables = { ORDERS_TABLE: uniqueTableName('e2e-orders'), NOTIFICATIONS_TABLE: uniqueTableName('e2e-notifications') };
  stack = await startLocalStack({
    // DYNAMODB_ENDPOINT comes from test/run.ts; the handlers get their own tables.
    env: { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, ...tables },
    port: 0,
    sandboxPort: 0,
    dataDir: null,
    // Alipay calls us through the front door, which can play a flaky endpoint.
    publicBaseUrl: door.url,
    // 2 min → 6 ms … 15 h → 2.7 s: the real schedule, fast.
    sandbox: { retrySpeedup: 20_000 },
  });
  door.target = stack.apiUrl;
  store = new DynamoDbPaymentStore(createDynamoClient(stack.env), { orders: tables.ORDERS_TABLE, notifications: tables.NOTIFICATIONS_TABLE });
  browser = await launchBrowser();
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await door?.stop();
  logs.restore();
  writeFileSync(path.join(ARTIFACTS, 'handler-logs.jsonl'), logs.lines.join(''));
});

type Service = 'create_direct_pay_by_user' | 'create_partner_trade_by_buyer' | 'trade_create_by_buyer' | 'create_digital_goods_trade_p' | 'create_donate_trade_p';

/** Picks a product, service and charset in the shop and buys: ends on the sandbox cashier. Answers the trade_no. */
async function buy(page: Page, product: 'tea' | 'ebook' | 'donation', service: Service, charset: 'utf-8' | 'gbk'): Promise<string> {
  await page.goto(stack.shopUrl);
  await page.check(`input[name=product][value=${product}]`);
  await page.selectOption('#service', service);
  await page.check(`input[name=charset][value=${charset}]`);
  await Promise.all([page.waitForURL(/\/cashier\/\d+$/), page.click('#buy')]);
  return /\/cashier\/(\d+)$/.exec(page.url())![1]!;
}

/** Pays on the cashier; the sandbox sends the buyer back through the return handler to the shop's result page. */
async function pay(page: Page, donation?: string): Promise<string> {
  if (donation) await page.fill('#donation-amount', donation);
  await Promise.all([page.waitForURL(/\/shop\/result\?/), page.click('#pay')]);
  return new URL(page.url()).searchParams.get('outTradeNo')!;
}

/** Clicks a later step (ship, confirm, finish) on the trade's sandbox page. */
async function act(page: Page, tradeNo: string, action: 'ship' | 'confirm' | 'finish'): Promise<void> {
  await page.goto(`${stack.sandbox.url}/cashier/${tradeNo}`);
  await Promise.all([page.waitForURL(`${stack.sandbox.url}/cashier/${tradeNo}`, { waitUntil: 'load' }), page.click(`#${action}`)]);
}

async function apiOrder(outTradeNo: string): Promise<{ status: string; totalFee: string | null; paidFee?: string; anomalies: unknown[] }> {
  const r = await fetch(`${stack.apiUrl}/payments/${outTradeNo}`, { headers: { authorization: `Bearer ${stack.env.STOREFRONT_TOKEN}` } });
  assert.equal(r.status, 200, `GET /payments/${outTradeNo}`);
  return (await r.json()) as never;
}

/** Waits for every notification the sandbox has to send (retries included), then reads the stored order. */
async function settled(outTradeNo: string): Promise<Order> {
  await stack.sandbox.idle();
  const order = await store.getOrder(outTradeNo);
  assert.ok(order, `order ${outTradeNo} is stored`);
  return order;
}

async function resultOf(page: Page): Promise<{ result: string | null; status: string | null }> {
  const h1 = page.locator('#result');
  return { result: await h1.getAttribute('data-result'), status: await h1.getAttribute('data-status') };
}

describe('checkout in a real browser', () => {
  test('instant payment, UTF-8: paid on the return page, TRADE_SUCCESS, then TRADE_FINISHED when the refund window ends', async () => {
    const page = await browser.newPage();
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
    const page = await browser.newPage();
    const tradeNo = await buy(page, 'tea', 'create_direct_pay_by_user', 'gbk');
    await page.getByText('西湖龙井茶').first().waitFor(); // mojibake would not match
    const outTradeNo = await pay(page);
    assert.equal((await resultOf(page)).result, 'paid');
    await page.screenshot({ path: path.join(ARTIFACTS, 'return-page-instant-gbk.png'), fullPage: true });
    assert.equal(stack.sandbox.trade(stack.env.ALIPAY_PARTNER!, outTradeNo)?.charset, 'gbk');

    await act(page, tradeNo, 'finish');
    const order = await settled(outTradeNo);
    assert.equal(order.status, 'TRADE_FINISHED', 'the GBK-signed TRADE_FINISHED notification was verified and applied');
    assert.equal(order.subject, '西湖龙井茶');
    assert.equal(order.charset, 'gbk');
    await page.close();
  });

  test('escrow: paid into escrow, the seller ships, the buyer confirms, TRADE_FINISHED', async () => {
    const page = await browser.newPage();
    const tradeNo = await buy(page, 'tea', 'create_partner_trade_by_buyer', 'utf-8');
    const outTradeNo = await pay(page);
    assert.deepEqual(await resultOf(page), { result: 'paid', status: 'WAIT_SELLER_SEND_GOODS' });
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
    const page = await browser.newPage();
    const tradeNo = await buy(page, 'ebook', 'create_digital_goods_trade_p', 'utf-8');
    const outTradeNo = await pay(page);
    await settled(outTradeNo);
    const before = door.notifies.length;
    door.failNextNotifies(2);
    await act(page, tradeNo, 'finish');
    const order = await settled(outTradeNo);
    assert.deepEqual(door.notifies.slice(before), [{ outcome: 'fail' }, { outcome: 'fail' }, { outcome: 'forwarded', answer: 'success' }]);
    assert.equal(order.status, 'TRADE_FINISHED');
    await page.close();
  });

  test('duplicated and reordered deliveries: every copy answered success, each status applied once, the order ends TRADE_FINISHED', async () => {
    const page = await browser.newPage();
    stack.sandbox.setKnobs({ hold: true, duplicate: 2 });
    try {
      const tradeNo = await buy(page, 'tea', 'trade_create_by_buyer', 'gbk');
      const outTradeNo = await pay(page); // the return applies WAIT_SELLER_SEND_GOODS; its notification is held
      await act(page, tradeNo, 'ship');
      await act(page, tradeNo, 'confirm');
      const before = door.notifies.length;
      assert.equal(stack.sandbox.release('reverse'), 3, 'three notifications were held');
      const order = await settled(outTradeNo);
      const answers = door.notifies.slice(before);
      assert.equal(answers.length, 9, 'three notifications, each sent three times');
      assert.ok(answers.every((a) => a.outcome === 'forwarded' && a.answer === 'success'), JSON.stringify(answers));
      assert.equal(order.status, 'TRADE_FINISHED');
      assert.deepEqual(order.history.map((h) => h.status), ['WAIT_SELLER_SEND_GOODS', 'TRADE_FINISHED'], 'late lower statuses are stale, copies are duplicates');
      assert.deepEqual(order.anomalies, []);
    } finally {
      stack.sandbox.setKnobs({ hold: false, duplicate: 0 });
      stack.sandbox.release('fifo');
    }
    await page.close();
  });

  test('a donation: the donor picks the amount on the cashier, the order records what was paid', async () => {
    const page = await browser.newPage();
    await buy(page, 'donation', 'create_donate_trade_p', 'utf-8');
    const outTradeNo = await pay(page, '8.88');
    assert.equal((await resultOf(page)).result, 'paid');
    await settled(outTradeNo);
    const api = await apiOrder(outTradeNo);
    assert.equal(api.paidFee, '8.88');
    await page.close();
  });

  test("a tampered amount: the sandbox shows Alipay's ILLEGAL_SIGN page and the order stays unpaid", async () => {
    const page = await browser.newPage();
    let outTradeNo = '';
    await page.route('**/shop/checkout', async (route) => {
      const response = await route.fetch();
      const html = await response.text();
      outTradeNo = /name="out_trade_no" value="([^"]+)"/.exec(html)![1]!;
      assert.match(html, /name="total_fee" value="68.00"/);
      await route.fulfill({ response, body: html.replace('name="total_fee" value="68.00"', 'name="total_fee" value="0.01"') });
    });
    await page.goto(stack.shopUrl);
    await page.check('input[name=product][value=tea]');
    await page.selectOption('#service', 'create_direct_pay_by_user');
    await page.click('#buy');
    const code = page.locator('#error-code');
    await code.waitFor();
    assert.equal(await code.getAttribute('data-error-code'), 'ILLEGAL_SIGN');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-error-illegal-sign.png'), fullPage: true });
    assert.equal((await apiOrder(outTradeNo)).status, 'CREATED');
    assert.equal(stack.sandbox.trade(stack.env.ALIPAY_PARTNER!, outTradeNo), undefined, 'no trade was created');
    await page.close();
  });
});
