// The operator CLI as an operator runs it (its own process), on tables in DynamoDB Local that the real handlers
// filled: one paid order, one whose GBK notification Alipay disowned, one with an amount anomaly, one three days old.
// The tables are named the way the handlers name them (DYNAMODB_ENDPOINT, ORDERS_TABLE, NOTIFICATIONS_TABLE).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSandbox, type Sandbox } from '../../infra/local/sandbox/index.ts';
import type { Order } from '../../shared/orders/order.ts';
import { notification, SUBJECT, TEST_KEY, TEST_PARTNER, tradeNoFor } from '../support/alipay-messages.ts';
import { postNotify, postPayment } from '../support/api.ts';
import { useTestApp } from '../support/app-env.ts';
import { type CliRun, runCli } from '../support/cli.ts';
import { paymentExample } from '../support/payments.ts';

const { app } = useTestApp({ RECONCILE_MIN_AGE_MINUTES: '0' });
let sandbox: Sandbox;
const outputs: string[] = [];

/** The CLI on this file's tables, with the handlers' settings (the key among them); `env` adds or overrides. */
async function operator(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, { env: { ...app.env, DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT!, ...env } });
  outputs.push(run.stdout, run.stderr);
  return run;
}

async function newOrder(): Promise<string> {
  const example = paymentExample('create_direct_pay_by_user');
  const res = await postPayment(example.body);
  assert.equal(res.status, 201, res.body);
  return example.body.outTradeNo as string;
}

const orders = { paid: '', disowned: '', anomalous: '', old: '' };
let disownedNotifyId = '';

/** The orders the cases look at, made through the real handlers. */
async function fillTables(): Promise<void> {
  sandbox = await startSandbox({ accounts: [{ partner: TEST_PARTNER, key: TEST_KEY }], retrySpeedup: 1 });
  orders.old = await newOrder();
  await app.ageOrder(orders.old, 3 * 24 * 60);
  orders.anomalous = await newOrder();
  orders.disowned = await newOrder();
  orders.paid = await newOrder();

  assert.equal((await postNotify(notification({ outTradeNo: orders.paid, tradeStatus: 'TRADE_SUCCESS', totalFee: '88.88' }))).body, 'success');
  assert.equal((await postNotify(notification({ outTradeNo: orders.anomalous, tradeStatus: 'TRADE_SUCCESS', totalFee: '0.01' }))).body, 'success');
  // A genuine GBK notification that notify_verify disowned (an outage at Alipay, say): kept, not applied.
  const gbk = notification({ outTradeNo: orders.disowned, tradeStatus: 'TRADE_SUCCESS', totalFee: '88.88' }, { charset: 'gbk' });
  disownedNotifyId = gbk.notifyId;
  app.gateway.answer(gbk.notifyId, 'false');
  assert.equal((await postNotify(gbk, { charset: 'gbk' })).body, 'fail');
}

// Inside a describe: Node 20 runs root-level before hooks side by side, and these need the app's to have run.
describe('the operator CLI on tables the handlers filled', () => {
before(fillTables);
after(async () => {
  await sandbox?.stop();
});

describe('alipay order', () => {
  test('shows the state, amounts, history and anomalies; --json is the stored order; an unknown order exits 1', async () => {
    const paid = await operator(['order', orders.paid]);
    assert.equal(paid.code, 0, paid.stderr);
    assert.match(paid.stdout, new RegExp(`^order ${orders.paid}\\n  status +TRADE_SUCCESS\\n`));
    assert.match(paid.stdout, /\n {2}amount +88\.88\n {2}paid +88\.88\n/);
    assert.match(paid.stdout, new RegExp(`\\n {2}trade_no +${tradeNoFor(orders.paid)}\\n`));
    assert.match(paid.stdout, /\nhistory \(1, oldest first\)\n {2}\S+ {2}notify {2}TRADE_SUCCESS {2}\w+\n/);
    assert.match(paid.stdout, /\nanomalies \(0\)\n {2}none\n$/);

    const anomalous = await operator(['order', orders.anomalous, '--json']);
    assert.equal(anomalous.code, 0, anomalous.stderr);
    const stored = JSON.parse(anomalous.stdout) as Order;
    assert.deepEqual(stored, JSON.parse(JSON.stringify(await app.getOrder(orders.anomalous))));
    assert.deepEqual(stored.anomalies.map((a) => a.code), ['amount_mismatch']);

    const missing = await operator(['order', 'NO-SUCH-ORDER']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^alipay order: no order NO-SUCH-ORDER in it-orders-\S+ and it-notifications-\S+ at http:\/\/127\.0\.0\.1:\d+\n$/);
  });
});

describe('alipay orders', () => {
  const column = (run: CliRun) => run.stdout.trim().split('\n').slice(1).filter((l) => !l.startsWith('more:')).map((l) => l.split(/ +/)[1]);

  test('newest first; by status; only those with anomalies; since a time', async () => {
    const all = await operator(['orders']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^created +out_trade_no +status +amount +paid +service +anomalies\n/);
    assert.deepEqual(column(all), [orders.paid, orders.disowned, orders.anomalous, orders.old]);

    const byStatus = await operator(['orders', '--status', 'TRADE_SUCCESS']);
    assert.deepEqual(column(byStatus), [orders.paid]);
    const anomalies = await operator(['orders', '--anomalies', '--json']);
    assert.deepEqual(JSON.parse(anomalies.stdout), { orders: [{ ...JSON.parse(JSON.stringify(summaryOf((await app.getOrder(orders.anomalous))!))) }] });
    const recent = await operator(['orders', '--since', '2d', '--status', 'CREATED']);
    assert.deepEqual(column(recent), [orders.disowned, orders.anomalous]);
  });

  test('--limit pages: the last line gives the --cursor of the next page', async () => {
    const first = await operator(['orders', '--limit', '3']);
    assert.deepEqual(column(first), [orders.paid, orders.disowned, orders.anomalous]);
    const cursor = /\nmore: --cursor (\S+)\n$/.exec(first.stdout)?.[1];
    assert.ok(cursor, first.stdout);
    const second = await operator(['orders', '--limit', '3', '--cursor', cursor]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(column(second), [orders.old]);
    assert.doesNotMatch(second.stdout, /more:/);
  });
});

const summaryOf = (o: Order) => ({
  outTradeNo: o.outTradeNo, service: o.service, status: o.status, amountFen: o.amountFen, createdAt: o.createdAt, updatedAt: o.updatedAt,
  hasAnomalies: o.anomalies.length > 0,
});

describe('alipay notifications', () => {
  test('every stored message of the order, decoded in its charset, with source and outcome; --json has the bytes', async () => {
    const run = await operator(['notifications', orders.disowned]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^1 event record for ${orders.disowned}, oldest first\\n\\n\\S+ {2}notify {2}rejected:notify_verify_false {2}TRADE_SUCCESS\\n`));
    assert.match(run.stdout, new RegExp(`\\n {2}event id +rejected#${disownedNotifyId}#`));
    assert.match(run.stdout, /\n {2}message +\d+ bytes, gbk\n/);
    assert.match(run.stdout, new RegExp(`\\n {4}subject +${SUBJECT}\\n`), 'the GBK subject reads as Chinese');

    const json = await operator(['notifications', orders.disowned, '--json']);
    const [record] = JSON.parse(json.stdout) as { eventId: string; charset: string; fields: Record<string, string>; rawBase64: string }[];
    const stored = (await app.notifications(disownedNotifyId))[0]!;
    assert.ok(Buffer.from(record!.rawBase64, 'base64').equals(Buffer.from(stored.raw as Uint8Array)));
    assert.equal(record!.fields.notify_id, disownedNotifyId);

    const none = await operator(['notifications', orders.old]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(`no event records for ${orders.old}`));
  });
});

describe('alipay replay', () => {
  test('a dry run decides on the current order and writes nothing; --apply writes it under a replay record', async () => {
    const eventId = String((await app.notifications(disownedNotifyId))[0]!.eventId);
    const dry = await operator(['replay', eventId]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^replay of ${eventId.replace(/[#.]/g, '\\$&')}: notify received \\S+, recorded as rejected:notify_verify_false\\n`));
    assert.match(dry.stdout, /\n {2}message +signature valid \(MD5 over the gbk bytes\)\n {2}key +ALIPAY_KEY from the environment\n/);
    assert.match(dry.stdout, /\n {2}decision +applied: CREATED → TRADE_SUCCESS, paid 88\.88, trade_no \d+\n/);
    assert.match(dry.stdout, /\ndry run: nothing written; --apply records it as replay#rejected#\S+#<time>\n$/);
    assert.equal((await app.getOrder(orders.disowned))?.status, 'CREATED');

    const applied = await operator(['replay', eventId, '--apply']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /\n {2}written +applied: CREATED → TRADE_SUCCESS, paid 88\.88, trade_no \d+; order now TRADE_SUCCESS \(version \d+\), recorded as replay#rejected#/);
    const order = (await app.getOrder(orders.disowned))!;
    assert.equal(order.status, 'TRADE_SUCCESS');
    const replayed = (await app.notifications()).find((r) => String(r.eventId).startsWith(`replay#${eventId}#`));
    assert.equal(replayed?.outcome, 'applied');
    assert.equal(order.history.at(-1)?.eventId, replayed?.eventId);
  });

  test('with another key nothing verifies: exit 1, nothing written; an unknown event id exits 1', async () => {
    const eventId = String((await app.notifications(disownedNotifyId))[0]!.eventId);
    const before1 = await app.getOrder(orders.disowned);
    const wrongKey = await operator(['replay', eventId, '--apply'], { ALIPAY_KEY: 'otherkeyotherkeyotherkeyotherkey' });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stdout, /cannot be replayed: the signature does not verify with this key/);
    assert.deepEqual(await app.getOrder(orders.disowned), before1);
    const unknown = await operator(['replay', 'no-such-event']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no event record no-such-event in .*: take an event id from `notifications <outTradeNo>`/);
  });
});

describe('alipay reconcile', () => {
  test('with the sandbox as Alipay: --dry-run reports and writes nothing; a pass recovers the payment whose notification was lost', async () => {
    // Created now at the sandbox, which pays it; the notification goes to a URL nobody serves.
    const since = new Date().toISOString();
    app.setEnv({ ALIPAY_GATEWAY_URL: sandbox.gatewayUrl });
    const example = paymentExample('create_direct_pay_by_user');
    const created = await postPayment(example.body);
    const cashier = await fetch(created.json.gatewayUrl, { redirect: 'manual' });
    const tradeNo = /\/cashier\/(\d+)$/.exec(cashier.headers.get('location') ?? '')![1]!;
    await sandbox.act(tradeNo, 'pay');
    const outTradeNo = example.body.outTradeNo as string;
    const env = { ALIPAY_GATEWAY_URL: sandbox.gatewayUrl, RECONCILE_MIN_AGE_MINUTES: '0' };

    const dry = await operator(['reconcile', '--dry-run', '--since', since], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, `reconcile (dry run: nothing written): checked 1, advanced 1, closed 0, unchanged 0, errors 0\n  ${outTradeNo}  advanced  TRADE_SUCCESS from single_trade_query\n`);
    assert.equal((await app.getOrder(outTradeNo))?.status, 'CREATED');

    const pass = await operator(['reconcile', '--since', since, '--json'], env);
    assert.equal(pass.code, 0, pass.stderr);
    assert.deepEqual(JSON.parse(pass.stdout), {
      checked: 1, advanced: 1, closed: 0, unchanged: 0, errors: 0, dryRun: false, more: false,
      orders: [{ outTradeNo, outcome: 'advanced', detail: 'TRADE_SUCCESS from single_trade_query' }],
    });
    assert.equal((await app.getOrder(outTradeNo))?.status, 'TRADE_SUCCESS');
  });
});

test('no output of any command holds the key', () => {
  assert.ok(outputs.length > 0);
  for (const text of outputs) assert.ok(!text.includes(TEST_KEY), text);
});
});
