// The operator CLI finding the local stack by itself (the stack.json it writes while it runs), and `trigger`: the
// sandbox pays the trade and sends the notification, which the handlers confirm with the sandbox and apply.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LOCAL_DEFAULTS, localStackFile, startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { GENEROUS_BUDGETS } from '../support/app-env.ts';
import { type CliRun, runCli } from '../support/cli.ts';
import { uniqueTableName } from '../support/dynamodb.ts';
import { contractFetch } from '../support/openapi-contract.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'alipay-cli-stack-'));
/** Only where the stack's data is: the CLI finds the rest in its stack.json. */
const operator = (args: string[]): Promise<CliRun> => runCli(args, { env: { LOCAL_DATA_DIR: dataDir } });

let stack: LocalStack;

/** POST /payments as the shop does, then the buyer opens the cashier: the trade now exists in the sandbox. */
async function checkout(body: Record<string, unknown>): Promise<string> {
  const created = await contractFetch(`${stack.apiUrl}/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.env.STOREFRONT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { gatewayUrl } = (await created.json()) as { gatewayUrl: string };
  assert.equal((await fetch(gatewayUrl, { redirect: 'manual' })).status, 302);
  return body.outTradeNo as string;
}

describe('the CLI on the running local stack', () => {
  before(async () => {
    stack = await startLocalStack({
      env: { DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT, ORDERS_TABLE: uniqueTableName('cli-orders'), NOTIFICATIONS_TABLE: uniqueTableName('cli-notifications'), ...GENEROUS_BUDGETS },
      port: 0,
      sandboxPort: 0,
      dataDir,
      sandbox: { retrySpeedup: 20_000 },
    });
  });
  after(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('trigger: the sandbox pays the trade and sends the notification; the order is paid; replay verifies it with the local key', async () => {
    const outTradeNo = await checkout({ service: 'create_direct_pay_by_user', outTradeNo: `cli-${Date.now()}`, subject: '触发 trigger', totalFee: '12.30' });
    const run = await operator(['trigger', outTradeNo, 'TRADE_SUCCESS']);
    assert.equal(run.code, 0, run.stderr);
    const notifyId = /notify_id (\w+), sent by the sandbox to (\S+)/.exec(run.stdout);
    assert.ok(notifyId, run.stdout);
    assert.equal(notifyId[2], `${stack.apiUrl}/alipay/notify`);
    assert.match(run.stdout, /^sandbox: pay on trade \d+ \(instant\): WAIT_BUYER_PAY → TRADE_SUCCESS\n/);
    await stack.sandbox.idle();

    const order = await operator(['order', outTradeNo, '--json']);
    assert.equal(order.code, 0, order.stderr);
    const stored = JSON.parse(order.stdout) as { status: string; paidFen: number; history: { eventId: string }[] };
    assert.equal(stored.status, 'TRADE_SUCCESS');
    assert.equal(stored.paidFen, 1230);
    assert.deepEqual(stored.history.map((h) => h.eventId), [notifyId[1]], 'applied once, from the notification the sandbox sent');

    const replay = await operator(['replay', notifyId[1]!]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /\n {2}key +the fake local default key\n/);
    assert.match(replay.stdout, /\n {2}decision +duplicate: the order already says this\n/);
    assert.ok(!(replay.stdout + replay.stderr).includes(LOCAL_DEFAULTS.ALIPAY_KEY));
  });

  test('trigger: a move the sandbox has no button for exits 1 saying what is possible; an order it has no trade for exits 1', async () => {
    const outTradeNo = await checkout({
      service: 'create_partner_trade_by_buyer', outTradeNo: `cli-escrow-${Date.now()}`, subject: '茶', price: '10.00', quantity: '1',
      logistics: [{ type: 'EXPRESS', fee: '0.00', payment: 'SELLER_PAY' }],
    });
    const run = await operator(['trigger', outTradeNo, 'TRADE_FINISHED']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^alipay trigger: the sandbox has no button that moves escrow trade \d+ from WAIT_BUYER_PAY to TRADE_FINISHED: possible now: WAIT_SELLER_SEND_GOODS, TRADE_CLOSED\n$/);
    const none = await operator(['trigger', 'never-at-the-cashier', 'TRADE_SUCCESS']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /the sandbox has no trade for never-at-the-cashier: it has one once the buyer opened the cashier/);
  });

  test('once the stack stops, its stack.json is gone and the CLI says no local stack is running', async () => {
    assert.ok(existsSync(localStackFile(dataDir)));
    await stack.stop();
    assert.ok(!existsSync(localStackFile(dataDir)));
    const run = await operator(['orders']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^alipay orders: no local stack is running \(no .*stack\.json\): start it with `npm start`/);
  });
});
