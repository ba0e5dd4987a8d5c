// What a log line may carry: bounded values, signs as a 6-character prefix, never the key or the storefront token.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { logger, registerSecret } from '../../shared/log.ts';
import { loadConfig } from '../../shared/config.ts';
import { receiveMessage } from '../../shared/alipay/receive.ts';
import { parseFormBytes } from '../../shared/alipay/form.ts';
import { notification, signMessage, tradeFields, TEST_KEY } from '../support/alipay-messages.ts';

const MAX_LINE_BYTES = 4096;

/** A logger whose lines land in an array, parsed. */
function capture(requestId = 'req-1') {
  const lines: string[] = [];
  const log = logger(requestId, (l) => lines.push(l));
  const last = () => JSON.parse(lines.at(-1)!) as Record<string, unknown>;
  return { log, lines, last };
}

/** Every 7-character run of `secret` (a sign shows at most 6). */
function assertNoSevenCharsOf(line: string, sign: string): void {
  for (let i = 0; i + 7 <= sign.length; i++) {
    assert.ok(!line.includes(sign.slice(i, i + 7)), `the line shows 7+ characters of the sign (${sign.slice(i, i + 7)}): ${line}`);
  }
}

function assertSmall(line: string): void {
  assert.ok(Buffer.byteLength(line) <= MAX_LINE_BYTES, `the line is ${Buffer.byteLength(line)} bytes`);
}

/**
 * Logs a refused notify body the way a careless handler would: the refusal's reason and detail, and the notify_id
 * as parsed (when the body parses) — which for a mangled body holds the whole rest of it, sign included.
 */
function logRejectedNotify(raw: Buffer) {
  const { log, lines, last } = capture();
  const received = receiveMessage(raw, TEST_KEY, 'utf-8');
  assert.equal(received.ok, false);
  if (received.ok) throw new Error('unreachable');
  let notifyId: string | undefined;
  try {
    notifyId = parseFormBytes(raw).find((p) => p.name.toString('latin1') === 'notify_id')?.value.toString('utf8');
  } catch {
    notifyId = undefined; // unparseable: only the detail is logged
  }
  log.warn('notify rejected', { reason: received.reason, detail: received.detail, notifyId });
  return { line: lines.at(-1)!, entry: last(), notifyId };
}

describe('signs in logged text', () => {
  test('given a genuine notification whose "&" became ";", notifyId is cut at 200 characters and says how much was cut', () => {
    const notifyId = 'ab12cd34ef56ab12cd34ef56ab12cd34ef';
    const sent = signMessage({ notify_id: notifyId, ...tradeFields({ outTradeNo: 'ORDER-1', tradeStatus: 'TRADE_SUCCESS', totalFee: '88.00', notifyId }) });
    const body = sent.encoded.replaceAll('&', ';');
    const { line, entry, notifyId: whole } = logRejectedNotify(Buffer.from(body, 'latin1'));
    assert.ok(whole !== undefined);
    assert.ok(whole.length > 400 && whole.includes(`;sign=${sent.fields.sign}`), 'the whole rest of the body landed in notify_id');
    assert.equal(entry.notifyId, `${whole.slice(0, 200)}…(+${whole.length - 200} chars)`);
    assertNoSevenCharsOf(line, sent.fields.sign!);
    assertSmall(line);
  });

  test('given a short notify body with the sign inside notifyId, the line contains only sign=<first 6>…', () => {
    const sent = signMessage({ notify_id: 'ab12cd34ef56ab12cd34ef56ab12cd34ef', trade_status: 'TRADE_SUCCESS', out_trade_no: 'ORDER-2' });
    const sign = sent.fields.sign!;
    const { line, entry } = logRejectedNotify(Buffer.from(sent.encoded.replaceAll('&', ';'), 'latin1'));
    assert.equal(entry.notifyId, `ab12cd34ef56ab12cd34ef56ab12cd34ef;trade_status=TRADE_SUCCESS;out_trade_no=ORDER-2;sign=${sign.slice(0, 6)}…;sign_type=MD5`);
    assertNoSevenCharsOf(line, sign);
  });

  test('given a malformed escape after a name that swallowed the message, the detail quotes the name with sign:<first 6>… only', () => {
    const sent = signMessage({ notify_id: 'ab12cd34ef56ab12cd34ef56ab12cd34ef', out_trade_no: 'ORDER-3' });
    const sign = sent.fields.sign!;
    const body = `${sent.encoded.replaceAll('&', ';').replaceAll('=', ':')}=100%`;
    const { line, entry } = logRejectedNotify(Buffer.from(body, 'latin1'));
    assert.equal(entry.reason, 'malformed');
    assert.match(entry.detail as string, new RegExp(`sign:${sign.slice(0, 6)}…;sign_type:MD5`));
    assertNoSevenCharsOf(line, sign);
  });

  test('a sign cut at the 200-character boundary still shows at most 6 characters, wherever the cut falls', () => {
    const sign = '8e350a1b2c3d4e5f60718293a4b5c6d7';
    for (let pad = 150; pad <= 200; pad++) {
      const { log, lines } = capture();
      log.info('x', { detail: `${'x'.repeat(pad)};sign=${sign};sign_type=MD5` });
      assertNoSevenCharsOf(lines[0]!, sign);
    }
  });

  test('"sign":"…" in JSON text, sign: … in prose and sign=… in a query string each keep 6 characters', () => {
    const sign = '8e350a1b2c3d4e5f60718293a4b5c6d7';
    const { log, last, lines } = capture();
    log.warn(`verify failed for sign=${sign}`, {
      json: `{"notify_id":"1","sign":"${sign}","sign_type":"MD5"}`,
      prose: `expected sign: ${sign}, got another`,
      url: `https://mapi.alipay.com/gateway.do?partner=2088&sign=${sign}&sign_type=MD5`,
      nested: { list: [`SIGN = ${sign}`] },
    });
    const e = last();
    assert.equal(e.msg, 'verify failed for sign=8e350a…');
    assert.equal(e.json, '{"notify_id":"1","sign":"8e350a…","sign_type":"MD5"}');
    assert.equal(e.prose, 'expected sign: 8e350a…, got another');
    assert.equal(e.url, 'https://mapi.alipay.com/gateway.do?partner=2088&sign=8e350a…&sign_type=MD5');
    assert.deepEqual(e.nested, { list: ['SIGN = 8e350a…'] });
    assertNoSevenCharsOf(lines[0]!, sign);
  });

  test('names ending in sign count too: expected_sign=…, receivedSign: …', () => {
    const sign = '8e350a1b2c3d4e5f60718293a4b5c6d7';
    const { log, last } = capture();
    log.warn('mismatch', { detail: `expected_sign=${sign} receivedSign: ${sign}` });
    assert.equal(last().detail, 'expected_sign=8e350a… receivedSign: 8e350a…');
  });

  test('a field named sign (or expected_sign, receivedSign) keeps its first 6 characters, at any depth; sign_type and "design" are left alone', () => {
    const { log, last } = capture();
    log.info('x', { sign: '8e350a1b2c3d4e5f60718293a4b5c6d7', sign_type: 'MD5', params: { sign: '0123456789abcdef', expected_sign: 'abcdef0123', receivedSign: 'fedcba9876' }, note: 'design=responsive' });
    assert.deepEqual(last(), {
      ...last(),
      sign: '8e350a…', sign_type: 'MD5', params: { sign: '012345…', expected_sign: 'abcdef…', receivedSign: 'fedcba…' }, note: 'design=responsive',
    });
  });
});

describe('bounded values and lines', () => {
  test('a 15 KB value is cut to 200 characters with the count of what was cut, and the line stays under 4 KB', () => {
    const { log, lines, last } = capture();
    log.warn('notify rejected', { notifyId: 'n'.repeat(15_000) });
    assert.equal(last().notifyId, `${'n'.repeat(200)}…(+14800 chars)`);
    assertSmall(lines[0]!);
  });

  test('the msg is bounded like any value', () => {
    const { log, last } = capture();
    log.info(`notify ${'m'.repeat(5000)}`);
    assert.equal(last().msg, `notify ${'m'.repeat(193)}…(+4807 chars)`);
  });

  test('nested objects and arrays are bounded in depth and count', () => {
    const { log, lines, last } = capture();
    const deep = { a: { b: { c: { d: { e: 'too deep' } } } } };
    log.info('x', { deep, list: Array.from({ length: 1000 }, (_, i) => i), wide: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])) });
    const e = last();
    assert.deepEqual(e.deep, { a: { b: { c: '[Object]' } } });
    const list = e.list as unknown[];
    assert.equal(list.length, 21);
    assert.equal(list[20], '…(+980 items)');
    const wide = e.wide as Record<string, unknown>;
    assert.equal(Object.keys(wide).length, 21);
    assert.equal(wide['…'], '+80 keys');
    assertSmall(lines[0]!);
  });

  test('however many large fields, the line stays under 4 KB and says which fields were dropped', () => {
    const { log, lines, last } = capture();
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, { text: '中'.repeat(5000), more: ['x'.repeat(5000), 'y'.repeat(5000)] }]));
    log.error('many', fields);
    assertSmall(lines[0]!);
    const e = last();
    assert.equal(e.msg, 'many');
    assert.equal(e.requestId, 'req-1');
    assert.match(e.dropped as string, /^\d+ fields, the line was too long: f\d+, f\d+/);
    assert.match(e['…'] as string, /^\+\d+ keys$/, 'the fields after the budget was spent are counted, not shown');
  });

  test('whatever the msg and fields, the line is one JSON object of at most 4 KB', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ maxLength: 5000 }), fc.constant('"\\\u0001'.repeat(300)));
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('any'), { maxLength: 30 }), fc.dictionary(text, tie('any'), { maxKeys: 30 })),
    })).any;
    fc.assert(
      fc.property(text, text, fc.dictionary(text, value, { maxKeys: 40 }), (requestId, msg, fields) => {
        const lines: string[] = [];
        logger(requestId, (l) => lines.push(l)).warn(msg, fields);
        assert.equal(lines.length, 1);
        assertSmall(lines[0]!);
        assert.equal(typeof JSON.parse(lines[0]!), 'object');
      }),
      { numRuns: 100 },
    );
  });

  test('an Error value logs as "Name: message", bounded; a stack string is bounded too', () => {
    const { log, last, lines } = capture();
    const err = new TypeError(`bad ${'e'.repeat(1000)}`);
    log.error('unhandled error', { error: err, stack: err.stack });
    const e = last();
    assert.equal(e.error, `TypeError: bad ${'e'.repeat(185)}…(+815 chars)`);
    assert.ok((e.stack as string).length <= 200 + '…(+99999 chars)'.length);
    assert.ok(!lines[0]!.includes('at '), 'no stack frame beyond the bound');
  });

  test('a typical line is unchanged: small strings, numbers, booleans and small objects pass as they are', () => {
    const { log, last } = capture('abc-123');
    log.info('notify applied', { notifyId: 'ab12cd34', outTradeNo: 'ORDER-1', amountFen: 8800, transient: false, missing: undefined, detail: { from: 'CREATED', to: 'TRADE_SUCCESS' } });
    const { time, ...rest } = last();
    assert.match(time as string, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(rest, { level: 'info', requestId: 'abc-123', msg: 'notify applied', notifyId: 'ab12cd34', outTradeNo: 'ORDER-1', amountFen: 8800, transient: false, detail: { from: 'CREATED', to: 'TRADE_SUCCESS' } });
  });

  test('a getter that throws does not break the caller: the line says the fields could not be logged', () => {
    const { log, last } = capture();
    const nasty = { get boom(): string { throw new Error('getter exploded'); } };
    assert.doesNotThrow(() => log.error('unhandled error', { nasty }));
    assert.equal(last().msg, 'unhandled error');
    assert.equal(last().logError, 'the fields could not be logged: Error: getter exploded');
  });

  // How fast this is belongs in a benchmark, not here: a test may run on a busy machine.
  test('a 1 MB value is cut before anything looks at it: every line stays small', () => {
    const { log, lines } = capture();
    const huge = `${'sign='.repeat(200_000)}`;
    for (let i = 0; i < 200; i++) log.info('x', { huge, more: [huge, huge] });
    assert.equal(lines.length, 200);
    for (const line of lines) assertSmall(line);
  });
});

describe('secrets', () => {
  const KEY = 'testkeytestkeytestkeytestkey1234';
  const TOKEN = 'storefront-test-token-0123456789';

  test('fields named key, token, authorization (at any depth) are never logged', () => {
    const { log, last, lines } = capture();
    log.info('x', { key: KEY, token: TOKEN, headers: { Authorization: `Bearer ${TOKEN}`, host: 'shop' }, storefrontToken: TOKEN });
    assert.deepEqual(Object.keys(last()).sort(), ['headers', 'level', 'msg', 'requestId', 'time']);
    assert.deepEqual(last().headers, { host: 'shop' });
    assert.ok(!lines[0]!.includes(TOKEN));
  });

  test('a registered key or token is [redacted] in every string: msg, values, nested values, error messages', () => {
    registerSecret(KEY);
    registerSecret(TOKEN);
    const { log, last, lines } = capture();
    log.warn(`presign+key was a=1${KEY}`, { detail: `key is "${KEY}"`, nested: [{ why: `Bearer ${TOKEN}` }], error: new Error(`bad key ${KEY}`) });
    const e = last();
    assert.equal(e.msg, 'presign+key was a=1[redacted]');
    assert.equal(e.detail, 'key is "[redacted]"');
    assert.deepEqual(e.nested, [{ why: 'Bearer [redacted]' }]);
    assert.equal(e.error, 'Error: bad key [redacted]');
    assert.ok(!lines[0]!.includes(KEY) && !lines[0]!.includes(TOKEN));
  });

  test('a registered key cut at the 200-character boundary leaves no recognisable piece of it', () => {
    registerSecret(KEY);
    for (let pad = 170; pad <= 200; pad++) {
      const { log, lines } = capture();
      log.info('x', { detail: `${'x'.repeat(pad)}${KEY}` });
      for (let n = 4; n <= KEY.length; n++) assert.ok(!lines[0]!.includes(`x${KEY.slice(0, n)}`), `pad ${pad}: ${lines[0]}`);
    }
  });

  test('values shorter than 8 characters are not registered (they would redact ordinary words)', () => {
    registerSecret('MD5');
    registerSecret('');
    const { log, last } = capture();
    log.info('x', { sign_type: 'MD5' });
    assert.equal(last().sign_type, 'MD5');
  });

  test('loading the configuration registers ALIPAY_KEY and STOREFRONT_TOKEN', async () => {
    const key = 'cfgkeycfgkeycfgkeycfgkeycfgkey12';
    const token = 'config-test-token-abcdefghijklmnop';
    await loadConfig({
      ALIPAY_PARTNER: '2088101568358171', ALIPAY_KEY: key, PUBLIC_BASE_URL: 'https://pay.example.com',
      STOREFRONT_TOKEN: token, ORDERS_TABLE: 'orders', NOTIFICATIONS_TABLE: 'notifications',
    });
    const { log, lines } = capture();
    log.error('oops', { detail: `${key} / ${token}` });
    assert.equal(JSON.parse(lines[0]!).detail, '[redacted] / [redacted]');
  });

  test('a genuine notification logged by a careless caller shows neither the key nor the whole sign', () => {
    registerSecret(TEST_KEY);
    const sent = notification({ outTradeNo: 'ORDER-9', tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00' });
    const { log, lines } = capture();
    log.info('debug', { body: sent.encoded, fields: sent.fields, key: TEST_KEY, note: `signed with ${TEST_KEY}` });
    assertNoSevenCharsOf(lines[0]!, sent.fields.sign!);
    assert.ok(!lines[0]!.includes(TEST_KEY));
  });
});
