// Reconciliation racing with Alipay's notifications and the buyer's return for the same payments, through the local
// stack with the sandbox as Alipay (real HTTP): the sandbox holds every notification, then releases them (each with
// two extra copies) while the buyer's return page loads twice and three reconcile passes run at once. Each payment
// is applied once whichever source wins, the order ends where Alipay says the trade is, and nothing moves backwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handler as reconcileHandler } from '../../functions/reconcile.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import type { Order } from '../../shared/orders/order.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { captureLogs, GENEROUS_BUDGETS } from '../support/app-env.ts';
import { uniqueTableName } from '../support/dynamodb.ts';
import { paymentExample } from '../support/payments.ts';
import { mapLimit } from '../reliability/pool.ts';

const logs = captureLogs();
let stack: LocalStack;
let store: DynamoDbPaymentStore;

before(async () => {
  const tables = { ORDERS_TABLE: uniqueTableName('race-orders'), NOTIFICATIONS_TABLE: uniqueTableName('race-notifications') };
  stack = await startLocalStack({
    env: { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, ...tables, ...GENEROUS_BUDGETS, RECONCILE_EVERY_SECONDS: '0', RECONCILE_MIN_AGE_MINUTES: '0' },
    port: 0,
    sandboxPort: 0,
    dataDir: null,
    sandbox: { retrySpeedup: 20_000, knobs: { hold: true, duplicate: 2 } },
  });
  store = new DynamoDbPaymentStore(createDynamoClient(stack.env), { orders: tables.ORDERS_TABLE, notifications: tables.NOTIFICATIONS_TABLE });
});
after(async () => {
  await stack?.stop();
  logs.restore();
});

/** Where each service's order must end once the buyer paid: the trade status Alipay reports after payment. */
const PAID_STATUS: Record<string, string> = {
  create_direct_pay_by_user: 'TRADE_SUCCESS',
  create_digital_goods_trade_p: 'TRADE_SUCCESS',
  create_partner_trade_by_buyer: 'WAIT_SELLER_SEND_GOODS',
  trade_create_by_buyer: 'WAIT_SELLER_SEND_GOODS',
};
const SERVICES = Object.keys(PAID_STATUS) as ServiceName[];
/** A payment's rank, so a reader can tell a backward move: unpaid before paid. */
const UNPAID = new Set(['CREATED', 'WAIT_BUYER_PAY']);

interface Trade { outTradeNo: string; tradeNo: string; service: ServiceName; paidFee: string; paid: boolean; returnUrl?: string }

async function checkout(service: ServiceName, paid: boolean): Promise<Trade> {
  const example = paymentExample(service);
  const created = await fetch(`${stack.apiUrl}/payments`, {
    method: 'POST', body: JSON.stringify(example.body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.env.STOREFRONT_TOKEN}` },
  });
  const answer = await created.json() as { gatewayUrl: string };
  assert.equal(created.status, 201, JSON.stringify(answer));
  const opened = await fetch(answer.gatewayUrl, { redirect: 'manual' });
  const tradeNo = /\/cashier\/(\d+)$/.exec(opened.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, `the sandbox did not open a cashier: ${opened.status}`);
  const trade: Trade = { outTradeNo: example.body.outTradeNo as string, tradeNo, service, paidFee: example.paidFee, paid };
  if (paid) {
    const pressed = await fetch(`${stack.sandbox.url}/cashier/${tradeNo}/pay`, {
      method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual',
    });
    assert.equal(pressed.status, 302, `pay on the cashier: ${pressed.status}`);
    trade.returnUrl = pressed.headers.get('location') ?? undefined;
    assert.ok(trade.returnUrl?.includes('/alipay/return?'), `the cashier sends the buyer back: ${trade.returnUrl}`);
  }
  return trade;
}

describe('reconcile racing with notify and return', () => {
  test('32 trades (4 services, paid and not): held notifications released with 2 copies each, 2 return loads and 3 reconcile passes at once', { timeout: 1_200_000 }, async (t) => {
    const trades = await mapLimit(Array.from({ length: 32 }, (_, i) => i), 8, (i) => checkout(SERVICES[i % SERVICES.length]!, i % 4 !== 3));

    // A watcher reads the orders while everything runs: none may be seen unpaid after it was seen paid.
    const backwards: string[] = [];
    const seenPaid = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const trade of trades) {
          const order = await store.getOrder(trade.outTradeNo);
          if (!order) continue;
          if (!UNPAID.has(order.status)) seenPaid.add(trade.outTradeNo);
          else if (seenPaid.has(trade.outTradeNo)) backwards.push(`${trade.outTradeNo} seen ${order.status} after being paid`);
        }
      }
    })();

    const pageStatuses: number[] = [];
    const [released, runs] = await Promise.all([
      Promise.resolve().then(() => stack.sandbox.release('reverse')),
      Promise.all([reconcileHandler(), reconcileHandler(), reconcileHandler()]),
      mapLimit(trades.filter((trade) => trade.returnUrl).flatMap((trade) => [trade, trade]), 16, async (trade) => {
        const page = await fetch(trade.returnUrl!, { redirect: 'manual' });
        await page.arrayBuffer();
        pageStatuses.push(page.status);
      }),
    ]);
    await stack.sandbox.idle();
    watching = false;
    await watcher;

    const paid = trades.filter((trade) => trade.paid);
    assert.equal(released, paid.length, 'the sandbox held one notification per paid trade');
    assert.ok(pageStatuses.every((s) => s === 200 || s === 302), `return pages answered ${[...new Set(pageStatuses)].join(', ')}`);
    const advanced = runs.reduce((sum, run) => sum + run.advanced, 0);
    t.diagnostic(`reconcile passes: ${runs.map((run) => JSON.stringify(run)).join(' ')}`);

    const problems: string[] = [...backwards];
    const sources: Record<string, number> = {};
    for (const trade of trades) {
      const order = (await store.getOrder(trade.outTradeNo)) as Order;
      const records = (await store.listEventRecords(trade.outTradeNo, { limit: 100 })).records;
      const applied = records.filter((r) => r.outcome === 'applied' || r.outcome === 'anomaly');
      for (const r of applied) sources[r.source] = (sources[r.source] ?? 0) + 1;
      const name = `${trade.outTradeNo} (${trade.service}, ${trade.paid ? 'paid' : 'not paid'})`;
      if (order.anomalies.length > 0) problems.push(`${name}: anomalies ${order.anomalies.map((a) => a.code).join(', ')}`);
      if (order.version !== 1 + applied.length) problems.push(`${name}: version ${order.version} after ${applied.length} applied events`);
      const statuses = order.history.map((h) => h.status);
      if (new Set(statuses).size !== statuses.length) problems.push(`${name}: history repeats a status: ${statuses.join(' → ')}`);
      if (trade.paid) {
        if (order.status !== PAID_STATUS[trade.service]) problems.push(`${name}: ${order.status}, Alipay says ${PAID_STATUS[trade.service]}`);
        if (order.tradeNo !== trade.tradeNo) problems.push(`${name}: trade_no ${order.tradeNo}`);
        if (applied.filter((r) => !UNPAID.has(String(r.tradeStatus ?? ''))).length !== 1) {
          problems.push(`${name}: the payment applied by ${applied.map((r) => `${r.source} ${r.tradeStatus}`).join(', ')}`);
        }
      } else if (!UNPAID.has(order.status)) {
        problems.push(`${name}: ${order.status} though the buyer never paid`);
      }
    }
    t.diagnostic(`payments applied by source: ${JSON.stringify(sources)}; reconcile advanced ${advanced}`);
    assert.deepEqual(problems, []);
  });
});
