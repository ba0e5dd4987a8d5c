// The frame of an end-to-end test file: the local stack (handlers, sandbox, demo shop) on free ports over the
// DynamoDB Local of test/run.ts, a front door in front of it that can play a flaky notify endpoint, a fresh
// Chromium, and the steps a buyer takes. One stack per file: the handlers read process.env.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import type { Order } from '../../shared/orders/order.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { captureLogs, GENEROUS_BUDGETS } from './app-env.ts';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { uniqueTableName } from './dynamodb.ts';
import { FrontDoor } from './front-door.ts';
import { contractFetch } from './openapi-contract.ts';

export const ARTIFACTS = path.resolve('test-artifacts', 'e2e');

export type Service = 'create_direct_pay_by_user' | 'create_partner_trade_by_buyer' | 'trade_create_by_buyer' | 'create_digital_goods_trade_p' | 'create_donate_trade_p';

export interface E2e {
  stack: LocalStack;
  door: FrontDoor;
  browser: TestBrowser;
  store: DynamoDbPaymentStore;
  /** Picks a product, service and charset in the shop and buys: ends on the sandbox cashier. Answers the trade_no. */
  buy(page: Page, product: 'tea' | 'ebook' | 'donation', service: Service, charset: 'utf-8' | 'gbk'): Promise<string>;
  /** Pays on the cashier and waits for the page the return lands on (`landing`); answers the out_trade_no. */
  pay(page: Page, opts?: { donation?: string; landing?: RegExp }): Promise<string>;
  /** Clicks a later step (ship, confirm, finish) on the trade's sandbox page. */
  act(page: Page, tradeNo: string, action: 'ship' | 'confirm' | 'finish'): Promise<void>;
  apiOrder(outTradeNo: string): Promise<{ status: string; totalFee: string | null; paidFee?: string; anomalies: unknown[] }>;
  /** Waits for every notification the sandbox has to send (retries included), then reads the stored order. */
  settled(outTradeNo: string): Promise<Order>;
  /** data-result and data-status of the result page's heading. */
  resultOf(page: Page, selector?: string): Promise<{ result: string | null; status: string | null }>;
}

/** Sets the frame up before the file's first test and tears it down after the last. `env` adds settings. */
export function useE2e(env: Record<string, string> = {}): E2e {
  // The handlers' JSON logs go to an artifact file instead of the test output (TEST_LOGS=1 shows them).
  const logs = captureLogs();
  const e = {} as E2e;
  const name = path.basename(process.argv[1] ?? 'e2e', '.test.ts');
  // The demo shop's own calls to the API (POST /payments, GET /payments/{outTradeNo}) are checked against the API
  // document too. A violation is collected, not thrown into the shop (which would only show the buyer an error page),
  // and fails the file at the end with what the document refused.
  const shopViolations: string[] = [];
  const shopFetch: typeof fetch = (input, init) => contractFetch(String(input), init, (violation) => shopViolations.push(violation.message));

  before(async () => {
    e.door = await new FrontDoor().start();
    const tables = { ORDERS_TABLE: uniqueTableName('e2e-orders'), NOTIFICATIONS_TABLE: uniqueTableName('e2e-notifications') };
    e.stack = await startLocalStack({
      // DYNAMODB_ENDPOINT comes from test/run.ts; the handlers get their own tables.
      env: { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, ...tables, ...GENEROUS_BUDGETS, RECONCILE_EVERY_SECONDS: '0', ...env },
      port: 0,
      sandboxPort: 0,
      dataDir: null,
      // Alipay calls us through the front door, which can play a flaky endpoint.
      publicBaseUrl: e.door.url,
      // 2 min → 6 ms … 15 h → 2.7 s: the real schedule, fast.
      sandbox: { retrySpeedup: 20_000 },
      shopFetch,
    });
    e.door.target = e.stack.apiUrl;
    e.store = new DynamoDbPaymentStore(createDynamoClient(e.stack.env), { orders: tables.ORDERS_TABLE, notifications: tables.NOTIFICATIONS_TABLE });
    e.browser = await launchBrowser();
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await e.browser?.close();
    await e.stack?.stop();
    await e.door?.stop();
    logs.restore();
    writeFileSync(path.join(ARTIFACTS, `handler-logs-${name}.jsonl`), logs.lines.join(''));
    assert.deepEqual(shopViolations, [], 'the demo shop\'s calls to the API break the API document (infra/api/openapi.json)');
  });

  e.buy = async (page, product, service, charset) => {
    await page.goto(e.stack.shopUrl);
    await page.check(`input[name=product][value=${product}]`);
    await page.selectOption('#service', service);
    await page.check(`input[name=charset][value=${charset}]`);
    await Promise.all([page.waitForURL(/\/cashier\/\d+$/), page.click('#buy')]);
    return /\/cashier\/(\d+)$/.exec(page.url())![1]!;
  };

  e.pay = async (page, { donation, landing = /\/shop\/result\?/ } = {}) => {
    if (donation) await page.fill('#donation-amount', donation);
    await Promise.all([page.waitForURL(landing), page.click('#pay')]);
    const url = new URL(page.url());
    return url.searchParams.get('outTradeNo') ?? url.searchParams.get('out_trade_no')!;
  };

  e.act = async (page, tradeNo, action) => {
    await page.goto(`${e.stack.sandbox.url}/cashier/${tradeNo}`);
    await Promise.all([page.waitForURL(`${e.stack.sandbox.url}/cashier/${tradeNo}`, { waitUntil: 'load' }), page.click(`#${action}`)]);
  };

  e.apiOrder = async (outTradeNo) => {
    const r = await contractFetch(`${e.stack.apiUrl}/payments/${outTradeNo}`, { headers: { authorization: `Bearer ${e.stack.env.STOREFRONT_TOKEN}` } });
    assert.equal(r.status, 200, `GET /payments/${outTradeNo}`);
    return (await r.json()) as never;
  };

  e.settled = async (outTradeNo) => {
    await e.stack.sandbox.idle();
    const order = await e.store.getOrder(outTradeNo);
    assert.ok(order, `order ${outTradeNo} is stored`);
    return order;
  };

  e.resultOf = async (page, selector = '#result') => {
    const heading = page.locator(selector);
    return { result: await heading.getAttribute('data-result'), status: await heading.getAttribute('data-status') };
  };
  return e;
}
