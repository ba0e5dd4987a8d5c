// receiveMessage (shared/alipay/receive.ts): the one reading of a notify body or return query string, judged against
// the MD5 oracle written from the protocol notes alone (test/support/presign-oracle.ts), not against itself.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { decodeText } from '../../shared/alipay/charset.ts';
import { receiveMessage } from '../../shared/alipay/receive.ts';
import { notification, returnQuery, TEST_KEY } from '../support/alipay-messages.ts';
import { describeMutant, mutatedMessage, type Seed } from '../support/message-mutations.ts';
import { expectedSign, oracleVerdict, readForm } from '../support/presign-oracle.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Refusals the oracle has no rule for, each on purpose: an empty name (which parameter is it?), a name holding "=" or "&" (it rewrites the presign). */
function refusedOnPurpose(params: ReadonlyMap<string, Buffer>): boolean {
  return [...params.keys()].some((name) => name === '' || /[=&]/.test(name));
}

/** receiveMessage agrees with the oracle on `body`: accepted exactly when validly signed, and then with the oracle's fields. */
function assertAgrees(body: Buffer, what: () => string): void {
  const received = receiveMessage(body, TEST_KEY, 'utf-8');
  const oracle = oracleVerdict(body, TEST_KEY);
  if (!received.ok) {
    assert.ok(!oracle.signed || refusedOnPurpose(oracle.params), `refused (${received.reason}: ${received.detail}) though validly signed: ${what()}`);
    return;
  }
  assert.ok(oracle.signed, `accepted though not validly signed (${oracle.signed ? '' : oracle.why}): ${what()}`);
  const { fields, charset } = received.message;
  const expected = Object.fromEntries([...oracle.params].map(([name, value]) => [name, decodeText(value, charset)]));
  assert.deepEqual(fields, expected, `fields differ from the oracle's reading: ${what()}`);
}

describe('receiveMessage against the protocol oracle', () => {
  const seeds: Seed[] = [
    { label: 'utf-8 notify', encoded: notification({ outTradeNo: 'R20240501000001', tradeStatus: 'TRADE_SUCCESS', totalFee: '128.00' }).encoded },
    { label: 'gbk notify', encoded: notification({ outTradeNo: 'R20240501000002', tradeStatus: 'WAIT_BUYER_PAY', totalFee: '0.01' }, { charset: 'gbk' }).encoded },
    { label: 'utf-8 return', encoded: returnQuery({ outTradeNo: 'R20240501000003', tradeStatus: 'TRADE_FINISHED', totalFee: '9.90' }).encoded },
  ];

  test('given genuine messages in both charsets, it accepts them with every field decoded', () => {
    for (const seed of seeds) assertAgrees(Buffer.from(seed.encoded, 'latin1'), () => seed.label);
  });

  test(`given mutants of genuine messages (dropped, doubled, reordered, re-encoded, flipped bytes), it accepts exactly the validly signed ones (FUZZ_SEED=${SEED})`, () => {
    fc.assert(fc.property(mutatedMessage(seeds), (m) => assertAgrees(m.body, () => describeMutant(m))), { numRuns: 3_000, seed: SEED });
  });

  test(`given random forms signed by the oracle (odd names, escapes, raw GBK and UTF-8 bytes, empty values), it accepts them and sorts names by bytes as the oracle does (FUZZ_SEED=${SEED})`, () => {
    const piece = fc.constantFrom('a', 'b', 'A', '_', 'a1', 'a10', 'a2', 'sign', 'sign_', 'signa', '+', '%41', '%e6%b5%8b', '%ff', '%00', '\xe6\xb5\x8b', '\xb2\xe2', '%7E', '~', '');
    const component = fc.array(piece, { maxLength: 4 }).map((p) => p.join(''));
    const pairs = fc.array(fc.tuple(component.filter((n) => n !== '' && n !== 'sign' && n !== 'sign_type'), component), { maxLength: 12 });
    fc.assert(fc.property(pairs, fc.boolean(), (list, sign) => {
      let body = list.map(([n, v]) => `${n}=${v}`).join('&');
      const read = readForm(Buffer.from(body, 'latin1'));
      if (sign && 'params' in read) body += `&sign=${expectedSign(read.params, TEST_KEY)}&sign_type=MD5`;
      assertAgrees(Buffer.from(body, 'latin1'), () => JSON.stringify(body));
    }), { numRuns: 3_000, seed: SEED });
  });

  test('given a signed GBK message without _input_charset, its text is read as GBK (the bytes are not UTF-8)', () => {
    const { bytes } = notification({ outTradeNo: 'R20240501000004', tradeStatus: 'TRADE_SUCCESS', totalFee: '1.00', extra: { body: '中文说明' } }, { charset: 'gbk' });
    const received = receiveMessage(bytes, TEST_KEY, 'utf-8');
    assert.ok(received.ok);
    assert.equal(received.message.charset, 'gbk');
    assert.equal(received.message.fields.body, '中文说明');
    assert.equal(iconv.encode(received.message.fields.body!, 'gbk').length, 8);
  });

  const signed = `sign=${'0'.repeat(32)}&sign_type=MD5`;
  for (const [label, body, detail] of [
    ['a name given twice', `a=1&b=2&a=1&${signed}`, /parameter "a" appears more than once/],
    ['an empty name', `a=1&=2&${signed}`, /empty name/],
    ['an escaped "=" in a name', `a%3Db=1&${signed}`, /contains "=" or "&"/],
    ['a malformed escape', `a=1&subject=%E6%A&${signed}`, /malformed percent-escape "%A" at byte 3 of the value of "subject"/],
    ['no parameters', '&&', /no parameters/],
  ] as const) {
    test(`given ${label}, it refuses the message as malformed and says why`, () => {
      const received = receiveMessage(Buffer.from(body, 'latin1'), TEST_KEY, 'utf-8');
      assert.equal(received.ok, false);
      assert.ok(!received.ok && received.reason === 'malformed', JSON.stringify(received));
      assert.match(received.detail, detail);
    });
  }
});
