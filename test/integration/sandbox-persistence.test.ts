// The sandbox remembers its trades and refund batches across a restart when it is given a data directory (the local
// stack gives it .local/sandbox): cashier and refund pages still answer, a paid out_trade_no stays paid, refunds and
// batch numbers are remembered. Without a directory it keeps everything in memory.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../infra/local/sandbox/index.ts';
import { type ScriptedMerchant, signedQuery, startScriptedMerchant } from '../../infra/local/sandbox/merchant.ts';

const PARTNER = '2088101568358171';
const KEY = '10000000000000000000000000000000';
const WAIT_MS = 30_000;

const dirs: string[] = [];
const newDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'alipay-sandbox-state-'));
  dirs.push(dir);
  return dir;
};
let merchant: ScriptedMerchant;
let seq = 0;

before(async () => {
  merchant = await startScriptedMerchant();
});
after(async () => {
  await merchant.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const options = (dataDir?: string): SandboxOptions => ({ accounts: [{ partner: PARTNER, key: KEY }], retrySpeedup: 60_000, ...(dataDir ? { dataDir } : {}) });
const beijing = (): string => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

function payment(outTradeNo: string): Record<string, string> {
  return {
    service: 'create_direct_pay_by_user', partner: PARTNER, _input_charset: 'utf-8', payment_type: '1', out_trade_no: outTradeNo,
    subject: '测试商品', total_fee: '10.00', seller_id: PARTNER, notify_url: merchant.notifyUrl,
  };
}

/** The payment request's answer: the cashier it redirects to, or the error page's code. */
async function ask(on: Sandbox, params: Record<string, string>): Promise<{ location: string | null; errorCode: string | undefined }> {
  const res = await fetch(`${on.gatewayUrl}?${signedQuery(params, KEY, 'utf-8')}`, { redirect: 'manual' });
  const text = await res.text();
  return { location: res.headers.get('location'), errorCode: /data-error-code="([A-Z_]+)"/.exec(text)?.[1] ?? /<error>([A-Z_]+)<\/error>/.exec(text)?.[1] };
}

function refund(service: string, tradeNo: string, amount: string): Record<string, string> {
  const batchNo = `${beijing().slice(0, 10).replaceAll('-', '')}P${process.pid}N${++seq}`;
  return {
    service, partner: PARTNER, _input_charset: 'utf-8', notify_url: merchant.notifyUrl, seller_user_id: PARTNER, refund_date: beijing(),
    batch_no: batchNo, batch_num: '1', detail_data: `${tradeNo}^${amount}^kept across restarts`,
  };
}

describe('with a data directory', () => {
  test('a restart keeps the trades, the cashier pages, the "already paid" rule, refunds and batch numbers', async () => {
    const dir = newDir();
    const first = await startSandbox(options(dir));
    const paid = { outTradeNo: `kept-paid-${process.pid}`, tradeNo: '' };
    const unpaid = { outTradeNo: `kept-unpaid-${process.pid}`, tradeNo: '' };
    let applied: Record<string, string>;
    let pending: Record<string, string>;
    try {
      paid.tradeNo = (await ask(first, payment(paid.outTradeNo))).location!.split('/').at(-1)!;
      unpaid.tradeNo = (await ask(first, payment(unpaid.outTradeNo))).location!.split('/').at(-1)!;
      await first.act(paid.tradeNo, 'pay');
      applied = refund('refund_fastpay_by_platform_nopwd', paid.tradeNo, '2.00');
      assert.equal((await ask(first, applied)).errorCode, undefined);
      pending = refund('refund_fastpay_by_platform_pwd', paid.tradeNo, '1.00');
      assert.equal((await ask(first, pending)).location, `/refund/${PARTNER}/${pending.batch_no}`);
      await first.idle();
    } finally {
      await first.stop();
    }

    // One small JSON file, written atomically (no temporary file left), without the key.
    assert.deepEqual(readdirSync(dir), ['sandbox-state.json']);
    const saved = readFileSync(path.join(dir, 'sandbox-state.json'), 'utf8');
    const doc = JSON.parse(saved) as { format: string; trades: unknown[]; batches: unknown[] };
    assert.equal(doc.format, 'alipay-sandbox-state');
    assert.equal(doc.trades.length, 2);
    assert.equal(doc.batches.length, 2);
    assert.ok(!saved.includes(KEY), 'no key in the file');

    const second = await startSandbox(options(dir));
    try {
      assert.ok(second.log.some((e) => e.kind === 'server' && /2 trade\(s\) and 2 batch\(es\) from earlier runs/.test(e.detail)));

      // The unpaid trade's cashier still answers; the same request still leads to it; it can be paid.
      const cashier = await fetch(`${second.url}/cashier/${unpaid.tradeNo}`);
      assert.equal(cashier.status, 200);
      assert.match(await cashier.text(), /<button type="submit" id="pay"/);
      assert.equal((await ask(second, payment(unpaid.outTradeNo))).location, `/cashier/${unpaid.tradeNo}`);
      const pay = await fetch(`${second.url}/cashier/${unpaid.tradeNo}/pay`, { method: 'POST', redirect: 'manual' });
      assert.equal(pay.status, 200, 'paid (no return_url: the paid page)');

      // The paid trade cannot be paid again, and its refund is remembered.
      assert.equal((await ask(second, payment(paid.outTradeNo))).errorCode, 'TRADE_HAS_SUCCESS');
      const trade = second.trade(PARTNER, paid.outTradeNo)!;
      assert.equal(trade.status, 'TRADE_SUCCESS');
      assert.equal(trade.refundStatus, 'REFUND_SUCCESS');
      assert.deepEqual(trade.refunds.map((r) => [r.batchNo, r.amount]), [[applied.batch_no, '2.00']]);
      const q = await fetch(`${second.gatewayUrl}?${signedQuery({ service: 'single_trade_query', partner: PARTNER, _input_charset: 'utf-8', out_trade_no: paid.outTradeNo }, KEY, 'utf-8')}`);
      assert.match(await q.text(), /<refund_status>REFUND_SUCCESS<\/refund_status>.*<to_buyer_fee>2\.00<\/to_buyer_fee>/s);

      // Batch numbers stay taken; the batch awaiting the seller can still be confirmed, and its notification is sent.
      assert.equal((await ask(second, applied)).errorCode, 'DUPLICATE_BATCH_NO');
      const page = await fetch(`${second.url}/refund/${PARTNER}/${pending.batch_no}`);
      assert.match(await page.text(), /data-status="AWAITING_SELLER"/);
      const confirmed = await fetch(`${second.url}/refund/${PARTNER}/${pending.batch_no}/confirm`, { method: 'POST', body: 'password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
      assert.equal(confirmed.status, 303);
      assert.deepEqual(second.trade(PARTNER, paid.outTradeNo)?.refunds.map((r) => r.amount), ['2.00', '1.00']);
      const deadline = Date.now() + WAIT_MS;
      while (!merchant.received.some((n) => n.params.get('batch_no')?.toString('latin1') === pending.batch_no)) {
        assert.ok(Date.now() < deadline, 'the batch notification of the batch confirmed after the restart');
        await new Promise((r) => setTimeout(r, 10));
      }

      // New trades never reuse a kept trade_no.
      const fresh = (await ask(second, payment(`kept-new-${process.pid}`))).location!.split('/').at(-1)!;
      assert.ok(![paid.tradeNo, unpaid.tradeNo].includes(fresh));
      await second.idle();
    } finally {
      await second.stop();
    }
    const third = JSON.parse(readFileSync(path.join(dir, 'sandbox-state.json'), 'utf8')) as { trades: { status: string }[] };
    assert.equal(third.trades.length, 3, 'what the second run did is saved too');
  });

  test('a state file the sandbox cannot read stops it, naming the file', async () => {
    const dir = newDir();
    const file = path.join(dir, 'sandbox-state.json');
    writeFileSync(file, '{"trades": [');
    await assert.rejects(startSandbox(options(dir)), new RegExp(`^Error: sandbox: ${file.replaceAll('\\', '\\\\')} is not JSON .*: move it away or delete it to start afresh$`));
    writeFileSync(file, JSON.stringify({ trades: [], batches: [] }));
    await assert.rejects(startSandbox(options(dir)), /is not a sandbox state file/);
    writeFileSync(file, JSON.stringify({ format: 'alipay-sandbox-state', version: 1, trades: [{ tradeNo: 1 }], batches: [] }));
    await assert.rejects(startSandbox(options(dir)), /has an unreadable trade \(trades\[0\]\)/);
  });
});

describe('without a data directory', () => {
  test('nothing is kept: a new sandbox knows no trade of the last one', async () => {
    const first = await startSandbox(options());
    const outTradeNo = `memory-${process.pid}`;
    const tradeNo = (await ask(first, payment(outTradeNo))).location!.split('/').at(-1)!;
    await first.act(tradeNo, 'pay');
    assert.ok(first.log.some((e) => e.kind === 'server' && e.detail === 'keeping trades and refund batches in memory only'));
    await first.idle();
    await first.stop();
    const second = await startSandbox(options());
    try {
      assert.equal((await fetch(`${second.url}/cashier/${tradeNo}`)).status, 404);
      assert.match((await ask(second, payment(outTradeNo))).location ?? '', /^\/cashier\/\d{28}$/, 'a new trade for the same out_trade_no');
    } finally {
      await second.stop();
    }
  });
});
