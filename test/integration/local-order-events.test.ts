// Order events in the local stack (npm start's wiring, in process): the sandbox pays a trade and sends each
// notification three times; DynamoDB Local's stream goes through publish-events to the loopback bus, whose API
// destination stand-in POSTs to the demo shop's webhook. The shop fulfils the order exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiDestinationHeaders, WEBHOOK_KEY_HEADER } from '../../infra/local/api-destination.ts';
import { LOCAL_WEBHOOK_KEY } from '../../infra/local/order-events.ts';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.ts';
import { captureLogs, GENEROUS_BUDGETS } from '../support/app-env.ts';
import { uniqueTableName } from '../support/dynamodb.ts';

const logs = captureLogs();
let stack: LocalStack;
const token = 'local-demo-storefront-token-not-secret';

before(async () => {
  stack = await startLocalStack({
    env: {
      DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, ORDERS_TABLE: uniqueTableName('ev-orders'), NOTIFICATIONS_TABLE: uniqueTableName('ev-notifications'),
      ...GENEROUS_BUDGETS, RECONCILE_EVERY_SECONDS: '0',
    },
    port: 0, sandboxPort: 0, dataDir: null,
    sandbox: { knobs: { duplicate: 3 } },
  });
});
after(async () => {
  await stack?.stop();
  logs.restore();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000; // generous: a crowded machine
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within 2 minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('local order events', () => {
  test('paid with every notification sent three times: one Order Paid delivered, the shop fulfils once', async () => {
    const outTradeNo = `EV${Date.now().toString(36)}`;
    const created = await fetch(`${stack.apiUrl}/payments`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'create_direct_pay_by_user', outTradeNo, subject: 'events', totalFee: '1.00' }),
    });
    assert.equal(created.status, 201);
    const { gatewayUrl } = (await created.json()) as { gatewayUrl: string };
    const cashier = await fetch(gatewayUrl, { redirect: 'manual' });
    const tradeNo = /\/cashier\/(\d+)$/.exec(cashier.headers.get('location') ?? '')?.[1];
    assert.ok(tradeNo, 'the sandbox opened a trade');
    await stack.sandbox.act(tradeNo, 'pay');

    const page = await until('fulfilment', async () => {
      const html = await (await fetch(`${stack.apiUrl}/shop/fulfilment/${outTradeNo}`)).text();
      return html.includes('data-fulfilment="fulfilled"') ? html : undefined;
    });
    assert.match(page, /data-count="1"/);
    assert.ok(page.includes(`${outTradeNo}#2#Order Paid`));
    // Give the copies time to arrive: still one fulfilment, one Order Paid on the bus.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(stack.orderEvents.shop.fulfilments(outTradeNo), 1);
    const paid = stack.orderEvents.bus.accepted.filter((e) => (e.detail as { eventId: string }).eventId === `${outTradeNo}#2#Order Paid`);
    assert.equal(paid.length, 1);
    assert.equal(paid[0]!.source, 'alipay-serverless');
    assert.equal(paid[0]!['detail-type'], 'Order Paid');
  });

  test('the webhook refuses a request without the API key, and accepts one with the headers an API destination sends', async () => {
    const body = JSON.stringify({ version: '0', id: 'x', 'detail-type': 'Order Closed', source: 'alipay-serverless', detail: { eventId: 'W-1#3#Order Closed', outTradeNo: 'W-1', version: 3, status: 'TRADE_CLOSED' } });
    const { [WEBHOOK_KEY_HEADER]: _key, ...withoutKey } = apiDestinationHeaders(LOCAL_WEBHOOK_KEY);
    assert.equal((await fetch(`${stack.apiUrl}/shop/webhook`, { method: 'POST', headers: withoutKey, body })).status, 401);
    assert.equal((await fetch(`${stack.apiUrl}/shop/webhook`, { method: 'POST', headers: apiDestinationHeaders('wrong-key-of-the-same-len-xxxxxx'), body })).status, 401);
    assert.equal((await fetch(`${stack.apiUrl}/shop/webhook`, { method: 'POST', headers: apiDestinationHeaders(LOCAL_WEBHOOK_KEY), body })).status, 200);
    assert.match(await (await fetch(`${stack.apiUrl}/shop/fulfilment/W-1`)).text(), /W-1#3#Order Closed[\s\S]*data-fulfilment|data-fulfilment="waiting"/);
  });
});
