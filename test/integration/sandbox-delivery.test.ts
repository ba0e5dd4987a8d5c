// How the sandbox delivers notifications over real HTTP: retries until exactly `success`, giving up after 8 sends,
// the duplicate/delay/hold knobs, notify_verify's answers, and a stop() that leaves nothing running.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { buildPaymentRequest } from '../../shared/alipay/request.ts';
import { verifyBytes } from '../../shared/alipay/sign.ts';
import { type Sandbox, startSandbox } from '../../infra/local/sandbox/index.ts';
import { type MerchantAnswer, type ReceivedNotification, type ScriptedMerchant, startScriptedMerchant } from '../../infra/local/sandbox/merchant.ts';

const PARTNER = '2088101568358171';
const KEY = '10000000000000000000000000000000';
const OTHER_PARTNER = '2088101568358172';
const OTHER_KEY = '30000000000000000000000000000000';
const RETURN_TTL_MS = 300;

let sandbox: Sandbox;
let merchant: ScriptedMerchant;
let orderSeq = 0;
/** Scripted answers per out_trade_no; the last one repeats. Default `success`. */
const scripts = new Map<string, MerchantAnswer[]>();
const answered = new Map<string, number>();

before(async () => {
  merchant = await startScriptedMerchant();
  merchant.answer = (n) => {
    const out = n.params.get('out_trade_no')?.toString('latin1') ?? '';
    const script = scripts.get(out) ?? ['success'];
    const i = answered.get(out) ?? 0;
    answered.set(out, i + 1);
    return script[Math.min(i, script.length - 1)]!;
  };
  sandbox = await startSandbox({
    accounts: [{ partner: PARTNER, key: KEY }, { partner: OTHER_PARTNER, key: OTHER_KEY }],
    retrySpeedup: 60_000, // 2m → 2 ms … 15h → 900 ms: all 8 sends within 1.5 s
    deliveryTimeoutMs: 400,
    returnIdTtlMs: RETURN_TTL_MS,
  });
});
afterEach(async () => {
  sandbox.setKnobs({ duplicate: 0, delayMs: 0, hold: false });
  await sandbox.idle();
});
after(async () => {
  await sandbox.stop();
  await merchant.close();
});

async function newTrade(answers?: MerchantAnswer[], on: Sandbox = sandbox): Promise<{ tradeNo: string; outTradeNo: string }> {
  const outTradeNo = `delivery-${process.pid}-${++orderSeq}`;
  if (answers) scripts.set(outTradeNo, answers);
  const req = buildPaymentRequest({
    service: 'create_direct_pay_by_user', partner: PARTNER, key: KEY, charset: 'utf-8', gatewayUrl: on.gatewayUrl,
    notifyUrl: merchant.notifyUrl, returnUrl: merchant.returnUrl,
    params: { out_trade_no: outTradeNo, subject: '测试商品', total_fee: '0.01' },
  });
  const res = await fetch(req.url, { redirect: 'manual' });
  const tradeNo = /^\/cashier\/(\d{28})$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, await res.text());
  return { tradeNo, outTradeNo };
}

const receivedFor = (outTradeNo: string): ReceivedNotification[] =>
  merchant.received.filter((r) => r.params.get('out_trade_no')?.toString('latin1') === outTradeNo);

async function verify(query: string, init?: RequestInit): Promise<string> {
  const res = init ? await fetch(sandbox.gatewayUrl, init) : await fetch(`${sandbox.gatewayUrl}?${query}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  return res.text();
}
const notifyVerify = (notifyId: string, partner = PARTNER): Promise<string> =>
  verify(`service=notify_verify&partner=${partner}&notify_id=${encodeURIComponent(notifyId)}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when `p` settles within `ms`; the timer is cleared either way. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('retries', () => {
  test('fail, fail, success: exactly 3 sends of the same notification, then its notify_id verifies false', async () => {
    const { tradeNo, outTradeNo } = await newTrade(['fail', 'fail', 'success']);
    await sandbox.act(tradeNo, 'pay');
    await sandbox.idle();
    const sends = receivedFor(outTradeNo);
    assert.equal(sends.length, 3);
    const [first] = sends;
    assert.match(first!.notifyId, /^[0-9a-f]{34}$/);
    for (const s of sends) {
      assert.equal(s.notifyId, first!.notifyId);
      assert.deepEqual(s.body, first!.body, 'a resend is the same notification');
      assert.deepEqual(verifyBytes(s.params, KEY), { valid: true });
    }
    assert.ok(sends[2]!.at - sends[1]!.at >= 9, 'the second retry waits 10 min / 60000 = 10 ms');
    const log = sandbox.log.filter((e) => e.notifyId === first!.notifyId && e.kind === 'notify_send');
    assert.deepEqual(log.map((e) => /send (\d)\/8/.exec(e.detail)?.[1]), ['1', '2', '3']);
    assert.match(log[0]!.detail, /HTTP 200, answer "fail" \(4 bytes\); next send in 2 ms/);
    assert.match(log[2]!.detail, /answer "success" \(7 bytes\) — delivered/);
    assert.equal(await notifyVerify(first!.notifyId), 'false');
  });

  test('only HTTP 200 with exactly the 7 bytes "success" counts: trailing space, newline, HTTP 500, SUCCESS, no answer all fail', async () => {
    const { tradeNo, outTradeNo } = await newTrade(['success ', 'success\n', { status: 500, body: 'success' }, 'SUCCESS', 'hang', 'success']);
    await sandbox.act(tradeNo, 'pay');
    await sandbox.idle();
    const sends = receivedFor(outTradeNo);
    assert.equal(sends.length, 6);
    const log = sandbox.log.filter((e) => e.notifyId === sends[0]!.notifyId && e.kind === 'notify_send').map((e) => e.detail);
    assert.match(log[0]!, /answer "success " \(8 bytes\); next send/);
    assert.match(log[2]!, /HTTP 500, answer "success"/);
    assert.match(log[4]!, /no answer: no answer within 400 ms/);
    assert.match(log[5]!, /delivered/);
  });

  test('gives up after 8 sends; the notify_id still verifies true (nobody answered success)', async () => {
    const { tradeNo, outTradeNo } = await newTrade(['fail']);
    await sandbox.act(tradeNo, 'pay');
    await sandbox.idle();
    const sends = receivedFor(outTradeNo);
    assert.equal(sends.length, 8);
    assert.ok(sends[7]!.at - sends[6]!.at >= 890, 'the last wait is 15 h / 60000 = 900 ms');
    assert.ok(sandbox.log.some((e) => e.kind === 'notify_gave_up' && e.notifyId === sends[0]!.notifyId && /after 8 sends/.test(e.detail)));
    await sleep(50);
    assert.equal(receivedFor(outTradeNo).length, 8, 'no ninth send');
    assert.equal(await notifyVerify(sends[0]!.notifyId), 'true');
  });
});

describe('knobs', () => {
  test('duplicate: extra identical copies alongside every send, retries included', async () => {
    sandbox.setKnobs({ duplicate: 1 });
    const { tradeNo, outTradeNo } = await newTrade(['fail', 'fail', 'success']);
    await sandbox.act(tradeNo, 'pay');
    await sandbox.idle();
    const sends = receivedFor(outTradeNo);
    assert.equal(sends.length, 4, 'send 1 and its copy failed; send 2 and its copy');
    for (const s of sends) assert.deepEqual(s.body, sends[0]!.body);
    const log = sandbox.log.filter((e) => e.notifyId === sends[0]!.notifyId);
    assert.equal(log.filter((e) => e.kind === 'notify_send').length, 2);
    assert.equal(log.filter((e) => e.kind === 'notify_duplicate').length, 2);
  });

  test('hold and release("reverse"): the later status arrives first; held ids verify true until answered', async () => {
    sandbox.setKnobs({ hold: true });
    const { tradeNo, outTradeNo } = await newTrade();
    await sandbox.act(tradeNo, 'pay');
    await sandbox.act(tradeNo, 'finish');
    await sandbox.idle(); // held notifications are not pending
    assert.equal(receivedFor(outTradeNo).length, 0);
    const ids = sandbox.trade(PARTNER, outTradeNo)!.notifyIds;
    assert.equal(ids.length, 2);
    assert.equal(await notifyVerify(ids[0]!), 'true');
    const form = new URLSearchParams({ service: 'notify_verify', partner: PARTNER, notify_id: ids[1]! }).toString();
    assert.equal(await verify('', { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'true', 'POSTed as a form too');

    assert.equal(sandbox.release('reverse'), 2);
    await sandbox.idle();
    const sends = receivedFor(outTradeNo);
    assert.deepEqual(sends.map((s) => s.tradeStatus), ['TRADE_FINISHED', 'TRADE_SUCCESS']);
    assert.deepEqual(sends.map((s) => s.notifyId), [ids[1], ids[0]]);
    assert.equal(await notifyVerify(ids[0]!), 'false');
    assert.equal(await notifyVerify(ids[1]!), 'false');
    assert.equal(sandbox.release(), 0, 'nothing left');
  });

  test('delayMs: the first send waits', async () => {
    sandbox.setKnobs({ delayMs: 250 });
    const { tradeNo, outTradeNo } = await newTrade();
    const started = Date.now();
    await sandbox.act(tradeNo, 'pay');
    await sleep(100);
    assert.equal(receivedFor(outTradeNo).length, 0);
    await sandbox.idle();
    assert.equal(receivedFor(outTradeNo).length, 1);
    assert.ok(Date.now() - started >= 250);
  });

  test('bad knob values are refused with the knob named', () => {
    assert.throws(() => sandbox.setKnobs({ duplicate: -1 }), /knob duplicate must be a whole number/);
    assert.throws(() => sandbox.setKnobs({ delayMs: 1.5 }), /knob delayMs/);
    assert.deepEqual(sandbox.knobs(), { duplicate: 0, delayMs: 0, hold: false });
  });
});

describe('notify_verify', () => {
  test('invalid when partner or notify_id is missing or the partner is unknown; false for ids it never issued', async () => {
    assert.equal(await verify('service=notify_verify&notify_id=38c1fb14812b0e048c0271319689233605'), 'invalid');
    assert.equal(await verify(`service=notify_verify&partner=${PARTNER}`), 'invalid');
    assert.equal(await verify(`service=notify_verify&partner=${PARTNER}&notify_id=`), 'invalid');
    assert.equal(await notifyVerify('38c1fb14812b0e048c0271319689233605', '2088000000000009'), 'invalid');
    assert.equal(await notifyVerify('38c1fb14812b0e048c0271319689233605'), 'false');
  });

  test("another partner's notify_id is false", async () => {
    sandbox.setKnobs({ hold: true });
    const { tradeNo, outTradeNo } = await newTrade();
    await sandbox.act(tradeNo, 'pay');
    const [id] = sandbox.trade(PARTNER, outTradeNo)!.notifyIds;
    assert.equal(await notifyVerify(id!, OTHER_PARTNER), 'false');
    assert.equal(await notifyVerify(id!), 'true');
    sandbox.release();
  });

  test(`a return notify_id is true (again and again) for returnIdTtlMs (${RETURN_TTL_MS} ms), then false`, async () => {
    const { tradeNo } = await newTrade();
    const res = await fetch(`${sandbox.url}/cashier/${tradeNo}/pay`, { method: 'POST', redirect: 'manual' });
    const location = res.headers.get('location') ?? '';
    const id = new URL(location).searchParams.get('notify_id');
    assert.ok(id, location);
    assert.equal(await notifyVerify(id), 'true');
    assert.equal(await notifyVerify(id), 'true', 're-verifiable within its minute');
    await sleep(RETURN_TTL_MS + 50);
    assert.equal(await notifyVerify(id), 'false');
    const log = sandbox.log.filter((e) => e.kind === 'notify_verify' && e.notifyId === id);
    assert.equal(log.length, 3);
    assert.match(log[2]!.detail, /answered false \(return id, expired/);
  });
});

describe('stop', () => {
  test('stop() clears scheduled retries and drops a hanging send; idle() then resolves at once', async () => {
    const slow = await startSandbox({ accounts: [{ partner: PARTNER, key: KEY }], retrySpeedup: 1, deliveryTimeoutMs: 60_000 });
    const hanging = await newTrade(['hang'], slow);
    const failing = await newTrade(['fail'], slow);
    await slow.act(hanging.tradeNo, 'pay');
    await slow.act(failing.tradeNo, 'pay');
    while (receivedFor(hanging.outTradeNo).length < 1 || receivedFor(failing.outTradeNo).length < 1) await sleep(5);
    await sleep(20); // the failed send is answered and its retry (2 real minutes away) scheduled
    let idle = false;
    void slow.idle().then(() => (idle = true));
    await sleep(30);
    assert.equal(idle, false, 'a send hangs and a retry is scheduled');
    assert.equal(merchant.openConnections(), 1, 'the hanging send');
    // Bounds far below the 60 s send timeout and the 2 min retry, and far above what a busy machine needs.
    const started = Date.now();
    await slow.stop();
    assert.ok(await settlesWithin(slow.idle(), 20_000), 'idle() resolves after stop()');
    assert.ok(Date.now() - started < 20_000, 'stop() does not wait for the 60 s timeout or the 2 min retry');
    await sleep(0);
    assert.equal(idle, true, 'the idle() promise taken before stop() resolved too');
    while (merchant.openConnections() > 0 && Date.now() - started < 20_000) await sleep(5);
    assert.equal(merchant.openConnections(), 0, 'stop() dropped the hanging send');
    await assert.rejects(fetch(`${slow.url}/sandbox`), 'the server is closed');
    assert.ok(slow.log.some((e) => e.kind === 'server' && e.detail === 'stopped'));
  });
});
