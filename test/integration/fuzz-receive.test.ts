// Fuzzing POST /alipay/notify and GET /alipay/return with mutants of genuine signed messages (fast-check). Whatever
// arrives: never a 5xx, always one of the documented answers, and nothing durable (no order moved, no Notifications item)
// unless the bytes are validly signed by our key, as judged by an MD5 oracle written apart from the product
// (test/support/presign-oracle.ts). An order moves only when notify_verify also said `true`; a signed copy it disowns is
// kept only as a rejection.
// FUZZ_SEED=<n> replays a run; FUZZ_SCALE=<x> multiplies the number of cases.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { notification, returnQuery, type SignedMessage, TEST_KEY, tradeNoFor } from '../support/alipay-messages.ts';
import { getReturn, postNotify } from '../support/api.ts';
import { type NotificationItem, useTestApp } from '../support/app-env.ts';
import type { HttpAnswer } from '../support/events.ts';
import { describeMutant, type MutatedMessage, mutatedMessage, type Seed } from '../support/message-mutations.ts';
import { oracleVerdict } from '../support/presign-oracle.ts';
import { createOrder, newOutTradeNo } from '../support/payments.ts';
import type { Order } from '../../shared/orders/order.ts';

const { app } = useTestApp();

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const BATCH = 500;
const batches = (cases: number): number => Math.max(1, Math.round((cases * SCALE) / BATCH));

/** A genuine message and what the order it names may become: its one status, or unchanged. */
interface Case extends Seed {
  message: SignedMessage;
  /** The order the message names; undefined for an out_trade_no we never issued. */
  outTradeNo?: string;
  /** notify_verify's answer for its notify_id. */
  verify: 'true' | 'false';
  /** What an unmutated copy is answered: notify `success`/`fail`, or the return page's result. */
  genuineAnswer: string;
  /** The status the order may reach (only if the message is validly signed and confirmed). */
  reaches?: string;
}

/** Signed parameters that are not empty: two messages the oracle reads alike here carry the same news. */
function signedContent(params: ReadonlyMap<string, Buffer>): string {
  return [...params].filter(([, v]) => v.length > 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v.toString('hex')}`).join('&');
}

interface Snapshot {
  orders: Map<string, Order | undefined>;
  items: Set<string>;
  gatewayCalls: number;
}

async function snapshot(cases: readonly Case[]): Promise<Snapshot> {
  const orders = new Map<string, Order | undefined>();
  for (const c of cases) if (c.outTradeNo) orders.set(c.outTradeNo, await app.getOrder(c.outTradeNo));
  return { orders, items: new Set((await app.notifications()).map((i) => String(i.eventId))), gatewayCalls: app.gateway.calls.length };
}

/** What a batch may have written: only items whose raw bytes were validly signed, only orders moved by those. */
async function assertOnlySignedEffects(t: TestContext, label: string, cases: readonly Case[], before: Snapshot, signed: Map<string, { seed: number }>): Promise<void> {
  const added = (await app.notifications()).filter((i) => !before.items.has(String(i.eventId)));
  const unsigned = added.filter((i) => !signed.has(Buffer.from(i.raw as Uint8Array).toString('hex')));
  assert.deepEqual(unsigned.map(describeItem), [], `${label}: Notifications items written for bytes that are not validly signed (seed ${SEED})`);
  // Signed but disowned by notify_verify: kept only as a rejection (README, "What is written"), never as news.
  const disowned = added.filter((i) => cases[signed.get(Buffer.from(i.raw as Uint8Array).toString('hex'))!.seed]!.verify !== 'true');
  assert.deepEqual(disowned.filter((i) => !String(i.outcome).startsWith('rejected:')).map(describeItem), [],
    `${label}: items other than rejections written for copies notify_verify disowns (seed ${SEED})`);

  for (const [i, c] of cases.entries()) {
    if (!c.outTradeNo) continue;
    const was = before.orders.get(c.outTradeNo);
    const now = await app.getOrder(c.outTradeNo);
    const signedCopies = [...signed.values()].filter((s) => s.seed === i).length;
    if (c.verify !== 'true' || signedCopies === 0) {
      assert.deepEqual(now, was, `${label}: seed ${i} (${c.label}) moved with ${signedCopies} validly signed copies, notify_verify ${c.verify} (seed ${SEED})`);
      continue;
    }
    assert.ok(now, `${label}: order ${c.outTradeNo} vanished`);
    assert.ok([was!.status, c.reaches].includes(now.status), `${label}: seed ${i} (${c.label}) is ${now.status}, not ${was!.status} or ${c.reaches}`);
    assert.deepEqual(now.anomalies, was!.anomalies, `${label}: seed ${i} (${c.label}) gained anomalies from copies of a genuine message`);
    assert.ok(now.tradeNo === undefined || now.tradeNo === tradeNoFor(c.outTradeNo), `${label}: seed ${i} took trade_no ${now.tradeNo}`);
  }
  const confirmedIds = new Set(cases.map((c) => c.message.notifyId));
  const asked = app.gateway.calls.slice(before.gatewayCalls).filter((call) => !confirmedIds.has(call.notifyId));
  assert.deepEqual(asked.map((c) => c.notifyId), [], `${label}: notify_verify asked about a notify_id no genuine message carries`);
  t.diagnostic(`${label}: ${added.length} Notifications items written, all by validly signed copies`);
}

const describeItem = (i: NotificationItem): string => `${String(i.eventId).slice(0, 60)} ${i.outcome}: ${Buffer.from(i.raw as Uint8Array).toString('latin1').slice(0, 200)}`;

/** Runs `count` mutants of `cases` through `send`, batch by batch, checking each answer and each batch's writes. */
async function fuzz(t: TestContext, label: string, seedOffset: number, count: number, makeCases: () => Promise<Case[]>,
  send: (body: Buffer) => Promise<HttpAnswer>, check: (res: HttpAnswer, c: Case, signed: boolean, equivalent: boolean, what: string) => void): Promise<void> {
  let total = 0;
  let signedTotal = 0;
  const runs = batches(count);
  for (let batch = 0; batch < runs; batch++) {
    const cases = await makeCases();
    const genuine = cases.map((c) => signedContent(oracleVerdict(c.message.bytes, TEST_KEY).params!));
    const before = await snapshot(cases);
    const signed = new Map<string, { seed: number }>();
    await fc.assert(
      fc.asyncProperty(mutatedMessage(cases), async (m: MutatedMessage) => {
        const verdict = oracleVerdict(m.body, TEST_KEY);
        const calls = app.gateway.calls.length;
        const res = await send(m.body);
        total++;
        const what = `${label}, ${describeMutant(m)}`;
        assert.ok(res.status < 500, `${what}: answered ${res.status}`);
        if (verdict.signed) {
          signedTotal++;
          signed.set(m.body.toString('hex'), { seed: m.seed });
        } else {
          assert.equal(app.gateway.calls.length, calls, `${what}: notify_verify asked about a message that is not validly signed (${verdict.why})`);
        }
        check(res, cases[m.seed]!, verdict.signed, verdict.signed && signedContent(verdict.params) === genuine[m.seed], what);
      }),
      { numRuns: BATCH, seed: SEED + seedOffset + batch, includeErrorInReport: true },
    );
    await assertOnlySignedEffects(t, `${label} batch ${batch + 1}/${runs}`, cases, before, signed);
  }
  t.diagnostic(`${label}: ${total} mutants (${signedTotal} still validly signed), ${runs} batches, FUZZ_SEED=${SEED}`);
}

// ---------------------------------------------------------------------------------------------------------------------

async function notifyCases(): Promise<Case[]> {
  const instant = await createOrder();
  const gbk = await createOrder('create_digital_goods_trade_p', { charset: 'gbk' });
  const disowned = await createOrder();
  const escrow = await createOrder('create_partner_trade_by_buyer');
  const unknown = newOutTradeNo('NOSUCH');
  const cases: Case[] = [
    { label: 'instant, utf-8', outTradeNo: instant.outTradeNo, verify: 'true', genuineAnswer: 'success', reaches: 'TRADE_SUCCESS',
      message: notification({ outTradeNo: instant.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: instant.paidFee }) },
    { label: 'digital goods, GBK', outTradeNo: gbk.outTradeNo, verify: 'true', genuineAnswer: 'success', reaches: 'TRADE_SUCCESS',
      message: notification({ outTradeNo: gbk.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: gbk.paidFee }, { charset: 'gbk' }) },
    { label: 'instant, notify_verify false', outTradeNo: disowned.outTradeNo, verify: 'false', genuineAnswer: 'fail',
      message: notification({ outTradeNo: disowned.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: disowned.paidFee }) },
    { label: 'escrow, paid into escrow', outTradeNo: escrow.outTradeNo, verify: 'true', genuineAnswer: 'success', reaches: 'WAIT_SELLER_SEND_GOODS',
      message: notification({ outTradeNo: escrow.outTradeNo, tradeStatus: 'WAIT_SELLER_SEND_GOODS', totalFee: escrow.paidFee }) },
    { label: 'an out_trade_no we never issued', verify: 'true', genuineAnswer: 'success',
      message: notification({ outTradeNo: unknown, tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' }) },
  ].map((c) => ({ ...c, encoded: c.message.encoded }) as Case);
  for (const c of cases) app.gateway.answer(c.message.notifyId, c.verify);
  return cases;
}

async function returnCases(): Promise<Case[]> {
  const instant = await createOrder();
  const gbk = await createOrder('create_digital_goods_trade_p', { charset: 'gbk' });
  const disowned = await createOrder();
  const old = await createOrder();
  const cases: Case[] = [
    { label: 'instant, utf-8', outTradeNo: instant.outTradeNo, verify: 'true', genuineAnswer: 'paid', reaches: 'TRADE_SUCCESS',
      message: returnQuery({ outTradeNo: instant.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: instant.paidFee }) },
    { label: 'digital goods, GBK', outTradeNo: gbk.outTradeNo, verify: 'true', genuineAnswer: 'paid', reaches: 'TRADE_SUCCESS',
      message: returnQuery({ outTradeNo: gbk.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: gbk.paidFee, service: 'create_digital_goods_trade_p' }, { charset: 'gbk' }) },
    { label: 'instant, notify_verify false', outTradeNo: disowned.outTradeNo, verify: 'false', genuineAnswer: 'waiting',
      message: returnQuery({ outTradeNo: disowned.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: disowned.paidFee }) },
    // Too old for notify_verify: shown the stored status, never applied (so never confirmed either).
    { label: 'a return 10 minutes old', outTradeNo: old.outTradeNo, verify: 'false', genuineAnswer: 'waiting',
      message: returnQuery({ outTradeNo: old.outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: old.paidFee, notifyTime: new Date(Date.now() - 10 * 60_000) }) },
  ].map((c) => ({ ...c, encoded: c.message.encoded }) as Case);
  for (const c of cases) app.gateway.answer(c.message.notifyId, c.verify);
  return cases;
}

/** The data-result of the handler's own page, or the `result` of the redirect to RETURN_RESULT_URL. */
function returnResult(res: HttpAnswer, what: string): string {
  if (res.status === 302) {
    const url = new URL(res.headers.location!);
    assert.equal(`${url.origin}${url.pathname}`, RESULT_URL, `${what}: redirected elsewhere`);
    return url.searchParams.get('result') ?? assert.fail(`${what}: redirect without result`);
  }
  assert.ok(res.status === 200 || res.status === 400, `${what}: status ${res.status}`);
  assert.match(res.headers['content-type'] ?? '', /^text\/html; charset=utf-8/, what);
  const m = /data-result="([a-z]+)"/.exec(res.body);
  assert.ok(m, `${what}: not a result page: ${res.body.slice(0, 200)}`);
  assert.equal(res.status === 400, m[1] === 'unverified', `${what}: status ${res.status} for a page saying ${m[1]}`);
  return m[1]!;
}

const RESULT_URL = 'https://shop.example.com/shop/result';

describe('fuzzing the receiving handlers with mutants of genuine messages', () => {
  test('POST /alipay/notify: 3000 mutants: always 200 text/plain "success" or "fail"; "fail" unless validly signed; writes only for signed bytes', { timeout: 600_000 }, async (t) => {
    await fuzz(t, 'notify', 0, 3000, notifyCases, (body) => postNotify(body), (res, c, signed, equivalent, what) => {
      assert.equal(res.status, 200, what);
      assert.equal(res.headers['content-type'], 'text/plain', what);
      assert.ok(res.body === 'success' || res.body === 'fail', `${what}: answered ${JSON.stringify(res.body.slice(0, 100))}`);
      if (!signed) assert.equal(res.body, 'fail', `${what}: not validly signed, yet answered success`);
      // The same signed parameters, only written differently: the same answer as the genuine message.
      if (equivalent) assert.equal(res.body, c.genuineAnswer, `${what}: a re-encoding of the genuine message is answered differently`);
    });
  });

  for (const mode of ['its own page', 'a redirect to RETURN_RESULT_URL'] as const) {
    test(`GET /alipay/return (${mode}): 1500 mutants: a result page, "unverified" unless validly signed; writes only for signed bytes`, { timeout: 600_000 }, async (t) => {
      app.setEnv({ RETURN_RESULT_URL: mode === 'its own page' ? undefined : RESULT_URL });
      try {
        await fuzz(t, `return (${mode})`, mode === 'its own page' ? 1000 : 2000, 1500, returnCases, (body) => getReturn(body.toString('latin1')), (res, c, signed, equivalent, what) => {
          const result = returnResult(res, what);
          if (!signed) assert.equal(result, 'unverified', `${what}: not validly signed, yet the page says ${result}`);
          if (equivalent) assert.equal(result, c.genuineAnswer, `${what}: a re-encoding of the genuine return is answered differently`);
        });
      } finally {
        app.setEnv({ RETURN_RESULT_URL: undefined });
      }
    });
  }
});
