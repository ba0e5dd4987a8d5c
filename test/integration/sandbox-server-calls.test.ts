// The sandbox's server-to-server services over real HTTP (single_trade_query, send_goods_confirm_by_platform,
// close_trade: signed requests, XML answers) and its own control endpoints under /sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Charset, encodeText } from '../../shared/alipay/charset.ts';
import { byteParamsFromStrings } from '../../shared/alipay/params.ts';
import { buildPaymentRequest } from '../../shared/alipay/request.ts';
import type { ServiceName } from '../../shared/alipay/services.ts';
import { signBytes } from '../../shared/alipay/sign.ts';
import { type Sandbox, type SandboxLogEntry, startSandbox } from '../../infra/local/sandbox/index.ts';
import { type ScriptedMerchant, signedQuery, startScriptedMerchant } from '../../infra/local/sandbox/merchant.ts';

const PARTNER = '2088101568358171';
const KEY = '10000000000000000000000000000000';
const OTHER_PARTNER = '2088101568358172';
const OTHER_KEY = '30000000000000000000000000000000';
const SUBJECT = '测试商品';
const ESCROW = { price: '10.00', quantity: '1', logistics_type: 'EXPRESS', logistics_fee: '0.00', logistics_payment: 'SELLER_PAY' };

let sandbox: Sandbox;
let merchant: ScriptedMerchant;
const printed: SandboxLogEntry[] = [];
let orderSeq = 0;

before(async () => {
  merchant = await startScriptedMerchant();
  sandbox = await startSandbox({
    accounts: [{ partner: PARTNER, key: KEY, sellerEmail: 'seller@example.com' }, { partner: OTHER_PARTNER, key: OTHER_KEY }],
    retrySpeedup: 60_000,
    onLog: (e) => printed.push(e),
  });
});
after(async () => {
  await sandbox.stop();
  await merchant.close();
});

async function newTrade(service: ServiceName, amount: Record<string, string>, charset: Charset = 'utf-8'): Promise<{ tradeNo: string; outTradeNo: string }> {
  const outTradeNo = `calls-${process.pid}-${++orderSeq}`;
  const req = buildPaymentRequest({
    service, partner: PARTNER, key: KEY, charset, gatewayUrl: sandbox.gatewayUrl, notifyUrl: merchant.notifyUrl,
    params: { out_trade_no: outTradeNo, subject: SUBJECT, ...amount },
  });
  const res = await fetch(req.url, { redirect: 'manual' });
  const tradeNo = /^\/cashier\/(\d{28})$/.exec(res.headers.get('location') ?? '')?.[1];
  assert.ok(tradeNo, await res.text());
  return { tradeNo, outTradeNo };
}

interface XmlAnswer {
  contentType: string | null;
  bytes: Buffer;
  text: string;
}

async function call(params: Record<string, string>, opts: { key?: string; charset?: Charset; method?: 'GET' | 'POST' } = {}): Promise<XmlAnswer> {
  const charset = opts.charset ?? 'utf-8';
  const query = signedQuery({ partner: PARTNER, _input_charset: charset, ...params }, opts.key ?? KEY, charset);
  const res = opts.method === 'POST'
    ? await fetch(`${sandbox.gatewayUrl}?_input_charset=${charset}`, { method: 'POST', body: query, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : await fetch(`${sandbox.gatewayUrl}?${query}`);
  assert.equal(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { contentType: res.headers.get('content-type'), bytes, text: bytes.toString(charset === 'gbk' ? 'latin1' : 'utf8') };
}

const xmlError = (code: string): string => `<?xml version="1.0" encoding="utf-8"?>\n<alipay><is_success>F</is_success><error>${code}</error></alipay>`;
const XML_OK = '<?xml version="1.0" encoding="utf-8"?>\n<alipay><is_success>T</is_success></alipay>';

const unescapeXml = (s: string): string =>
  s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);

/** The `<trade>` children in document order. */
function tradeChildren(xml: string): [string, string][] {
  const trade = /<response><trade>(.*)<\/trade><\/response>/s.exec(xml)?.[1];
  assert.ok(trade, xml);
  return [...trade.matchAll(/<([a-z_]+)>([^<]*)<\/\1>/g)].map((m) => [m[1]!, unescapeXml(m[2]!)]);
}

describe('single_trade_query', () => {
  test('a paid trade by out_trade_no: the request echoed, the trade in alphabetical children, signed', async () => {
    const { tradeNo, outTradeNo } = await newTrade('create_direct_pay_by_user', { total_fee: '8.80' });
    await sandbox.act(tradeNo, 'pay');
    const answer = await call({ service: 'single_trade_query', out_trade_no: outTradeNo });
    assert.equal(answer.contentType, 'text/xml; charset=utf-8');
    assert.ok(answer.text.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<alipay><is_success>T</is_success><request>'), answer.text);
    for (const [k, v] of [['service', 'single_trade_query'], ['partner', PARTNER], ['_input_charset', 'utf-8'], ['out_trade_no', outTradeNo]]) {
      assert.ok(answer.text.includes(`<param name="${k}">${v}</param>`), `echoes ${k}`);
    }
    assert.doesNotMatch(answer.text, /<param name="sign/);

    const children = tradeChildren(answer.text);
    const names = children.map(([k]) => k);
    assert.deepEqual(names, [...names].sort(), 'alphabetical');
    const trade = Object.fromEntries(children);
    const expected = {
      trade_status: 'TRADE_SUCCESS', total_fee: '8.80', out_trade_no: outTradeNo, trade_no: tradeNo, seller_id: PARTNER,
      seller_email: 'seller@example.com', subject: SUBJECT, is_total_fee_adjust: 'F', use_coupon: 'F', price: '8.80', quantity: '1',
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(trade[k], v, k);
    assert.match(trade.buyer_id!, /^2088\d{12}$/);
    assert.match(trade.gmt_payment!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(trade.gmt_create!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    // [inference, as in the sandbox] the sign is MD5 over the sorted trade children + key.
    const sign = /<\/response><sign>([0-9a-f]{32})<\/sign><sign_type>MD5<\/sign_type><\/alipay>$/.exec(answer.text)?.[1];
    assert.equal(sign, signBytes(byteParamsFromStrings(trade, 'utf-8'), KEY));
  });

  test('trade_no wins over out_trade_no; GET or POST', async () => {
    const a = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    const b = await newTrade('create_direct_pay_by_user', { total_fee: '2.00' });
    for (const method of ['GET', 'POST'] as const) {
      const answer = await call({ service: 'single_trade_query', trade_no: a.tradeNo, out_trade_no: b.outTradeNo }, { method });
      assert.equal(Object.fromEntries(tradeChildren(answer.text)).out_trade_no, a.outTradeNo, method);
    }
  });

  test('a gbk query answers GBK XML with encoding="gbk"', async () => {
    const { outTradeNo } = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' }, 'gbk');
    const answer = await call({ service: 'single_trade_query', out_trade_no: outTradeNo }, { charset: 'gbk' });
    assert.equal(answer.contentType, 'text/xml; charset=gbk');
    assert.ok(answer.text.startsWith('<?xml version="1.0" encoding="gbk"?>'));
    assert.ok(answer.bytes.includes(Buffer.concat([Buffer.from('<subject>'), encodeText(SUBJECT, 'gbk'), Buffer.from('</subject>')])), 'the subject as GBK bytes');
    assert.equal(Object.fromEntries(tradeChildren(answer.text)).trade_status, 'WAIT_BUYER_PAY');
  });

  test('unknown trades, and other partners\' trades, are TRADE_NOT_EXIST', async () => {
    assert.equal((await call({ service: 'single_trade_query', out_trade_no: 'never-created' })).text, xmlError('TRADE_NOT_EXIST'));
    assert.equal((await call({ service: 'single_trade_query', trade_no: '2016092021001004380280045538' })).text, xmlError('TRADE_NOT_EXIST'));
    const { tradeNo } = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    const other = await call({ service: 'single_trade_query', trade_no: tradeNo, partner: OTHER_PARTNER }, { key: OTHER_KEY });
    assert.equal(other.text, xmlError('TRADE_NOT_EXIST'));
  });

  test('gateway errors come back as XML for server calls', async () => {
    assert.equal((await call({ service: 'single_trade_query', out_trade_no: 'x' }, { key: OTHER_KEY })).text, xmlError('ILLEGAL_SIGN'));
    assert.equal((await call({ service: 'single_trade_query', out_trade_no: 'x', partner: '2088000000000009' })).text, xmlError('ILLEGAL_PARTNER'));
    assert.equal((await call({ service: 'single_trade_query' })).text, xmlError('ILLEGAL_ARGUMENT'));
    const res = await fetch(`${sandbox.gatewayUrl}?${signedQuery({ service: 'single_trade_query', partner: PARTNER, out_trade_no: 'x' }, KEY, 'utf-8').replace('sign_type=MD5', 'sign_type=RSA')}`);
    assert.match(await res.text(), /<error>ILLEGAL_SIGN_TYPE<\/error>/);
  });
});

describe('send_goods_confirm_by_platform', () => {
  test('ships a paid escrow trade like the ship button, once', async () => {
    const { tradeNo, outTradeNo } = await newTrade('create_partner_trade_by_buyer', ESCROW);
    await sandbox.act(tradeNo, 'pay');
    const ship = { service: 'send_goods_confirm_by_platform', trade_no: tradeNo, logistics_name: '顺丰速运', invoice_no: 'SF1234567890', transport_type: 'EXPRESS' };
    assert.equal((await call(ship)).text, XML_OK);
    const trade = sandbox.trade(PARTNER, outTradeNo)!;
    assert.equal(trade.status, 'WAIT_BUYER_CONFIRM_GOODS');
    assert.equal(trade.logistics?.name, '顺丰速运');
    assert.equal(trade.logistics?.invoiceNo, 'SF1234567890');
    assert.match(trade.gmtSendGoods!, /^\d{4}-/);
    await sandbox.idle();
    const n = merchant.received.find((r) => r.notifyId === trade.notifyIds[1]);
    assert.equal(n?.tradeStatus, 'WAIT_BUYER_CONFIRM_GOODS');
    assert.equal((await call(ship)).text, xmlError('TRADE_STATUS_NOT_AVAILD'));
  });

  test('refuses unpaid and instant trades, unknown trades and missing parameters', async () => {
    const escrow = await newTrade('trade_create_by_buyer', ESCROW);
    const ship = { service: 'send_goods_confirm_by_platform', trade_no: escrow.tradeNo, logistics_name: 'EMS', create_transport_type: 'EMS' };
    assert.equal((await call(ship)).text, xmlError('TRADE_STATUS_NOT_AVAILD'), 'not paid yet');
    const instant = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    await sandbox.act(instant.tradeNo, 'pay');
    assert.equal((await call({ ...ship, trade_no: instant.tradeNo })).text, xmlError('TRADE_STATUS_NOT_AVAILD'));
    assert.equal((await call({ ...ship, trade_no: '2016092021001004380280045538' })).text, xmlError('TRADE_NOT_EXIST'));
    const { logistics_name: _, ...noName } = ship;
    assert.equal((await call(noName)).text, xmlError('ILLEGAL_ARGUMENT'));
    assert.equal((await call({ ...ship, create_transport_type: 'CAMEL' })).text, xmlError('ILLEGAL_ARGUMENT'));
    assert.ok(sandbox.log.some((e) => e.kind === 'error' && /logistics_name is required/.test(e.detail)));
  });
});

describe('close_trade', () => {
  test('closes an unpaid trade by out_order_no (notified), not twice, and never a paid one', async () => {
    const { tradeNo, outTradeNo } = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    assert.equal((await call({ service: 'close_trade', out_order_no: outTradeNo })).text, XML_OK);
    assert.equal(sandbox.trade(PARTNER, outTradeNo)?.status, 'TRADE_CLOSED');
    await sandbox.idle();
    assert.ok(merchant.received.some((r) => r.params.get('trade_no')?.toString('latin1') === tradeNo && r.tradeStatus === 'TRADE_CLOSED'));
    assert.equal((await call({ service: 'close_trade', trade_no: tradeNo })).text, xmlError('TRADE_STATUS_NOT_AVAILD'));

    const paid = await newTrade('create_partner_trade_by_buyer', ESCROW);
    await sandbox.act(paid.tradeNo, 'pay');
    assert.equal((await call({ service: 'close_trade', trade_no: paid.tradeNo })).text, xmlError('TRADE_STATUS_NOT_AVAILD'));
    assert.equal(sandbox.trade(PARTNER, paid.outTradeNo)?.status, 'WAIT_SELLER_SEND_GOODS');
    assert.equal((await call({ service: 'close_trade', out_order_no: 'never-created' })).text, xmlError('TRADE_NOT_EXIST'));
    assert.equal((await call({ service: 'close_trade' })).text, xmlError('ILLEGAL_ARGUMENT'));
  });
});

describe('/sandbox', () => {
  const postJson = (path: string, body: unknown) =>
    fetch(`${sandbox.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, redirect: 'manual' });
  const postForm = (path: string, body: string) =>
    fetch(`${sandbox.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });

  test('knobs by JSON and by form; release by query; bad values are 400', async () => {
    const set = await postJson('/sandbox/knobs', { duplicate: 1, hold: true });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { duplicate: 1, delayMs: 0, hold: true, drop: false });
    assert.deepEqual(sandbox.knobs(), { duplicate: 1, delayMs: 0, hold: true, drop: false });

    const { tradeNo } = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    await sandbox.act(tradeNo, 'pay');
    await sandbox.act(tradeNo, 'refund');
    const release = await fetch(`${sandbox.url}/sandbox/release?order=reverse`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await release.json(), { released: 2 });

    const form = await postForm('/sandbox/knobs', 'duplicate=0&delayMs=0&hold=false');
    assert.equal(form.status, 303);
    assert.equal(form.headers.get('location'), '/sandbox');
    assert.deepEqual(sandbox.knobs(), { duplicate: 0, delayMs: 0, hold: false, drop: false });

    assert.equal((await postJson('/sandbox/knobs', { duplicate: 'many' })).status, 400);
    assert.equal((await postJson('/sandbox/knobs', { hold: 'maybe' })).status, 400);
    assert.equal((await postForm('/sandbox/knobs', 'drop=sometimes')).status, 400);
    assert.equal((await postForm('/sandbox/knobs', 'delayMs=-5')).status, 400);
    assert.equal((await postJson('/sandbox/release', { order: 'random' })).status, 400);
    assert.deepEqual(sandbox.knobs(), { duplicate: 0, delayMs: 0, hold: false, drop: false });
    assert.equal((await fetch(`${sandbox.url}/sandbox/knobs`)).status, 405);
    await sandbox.idle();
  });

  test('the log as HTML (newest first) and JSON, the trades as JSON, and never a key anywhere', async () => {
    const { tradeNo, outTradeNo } = await newTrade('create_direct_pay_by_user', { total_fee: '1.00' });
    await fetch(`${sandbox.gatewayUrl}?${signedQuery({ service: 'create_direct_pay_by_user', partner: PARTNER }, OTHER_KEY, 'utf-8')}`);
    await sandbox.act(tradeNo, 'pay');
    await sandbox.idle();

    const html = await (await fetch(`${sandbox.url}/sandbox`)).text();
    const seqs = [...html.matchAll(/<tr data-seq="(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(seqs.length > 10);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
    assert.match(html, /<form id="knobs" method="post" action="\/sandbox\/knobs">/);
    assert.match(html, /<button type="submit" id="release-held"/);
    assert.match(html, /<select id="knob-drop" name="drop"><option value="false" selected>off<\/option>/);

    const log = (await (await fetch(`${sandbox.url}/sandbox/log.json`)).json()) as SandboxLogEntry[];
    const kinds = new Set(log.map((e) => e.kind));
    for (const kind of ['server', 'request', 'error', 'trade_created', 'status', 'notify_send', 'query', 'notify_duplicate', 'notify_held', 'notify_released', 'knobs']) {
      assert.ok(kinds.has(kind), `logs ${kind}`);
    }
    assert.ok(log.some((e) => e.kind === 'error' && e.detail.includes('ILLEGAL_SIGN')));
    assert.ok(log.some((e) => e.kind === 'notify_send' && e.outTradeNo === outTradeNo && e.tradeNo === tradeNo && e.notifyId));
    assert.deepEqual(printed.map((e) => e.seq), log.map((e) => e.seq), 'onLog saw every entry');

    const trades = await (await fetch(`${sandbox.url}/sandbox/trades.json`)).text();
    assert.equal((JSON.parse(trades) as { outTradeNo: string }[]).find((t) => t.outTradeNo === outTradeNo)?.outTradeNo, outTradeNo);
    for (const text of [html, JSON.stringify(log), trades, JSON.stringify(sandbox.log)]) {
      assert.ok(!text.includes(KEY) && !text.includes(OTHER_KEY), 'no key');
    }
  });

  test('unknown paths are 404, / leads to the log', async () => {
    assert.equal((await fetch(`${sandbox.url}/nope`)).status, 404);
    const root = await fetch(`${sandbox.url}/`, { redirect: 'manual' });
    assert.equal(root.headers.get('location'), '/sandbox');
    assert.equal((await fetch(`${sandbox.url}/gateway.do`, { method: 'PUT' })).status, 405);
  });
});
