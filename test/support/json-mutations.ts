// fast-check arbitraries that take valid POST /payments bodies and break them: fields dropped, renamed or given odd
// values (wrong types, control and bidi characters, "&" and "=", text GBK cannot hold, huge strings), keys the JSON
// prototype knows, duplicated keys, then bytes flipped, cut, re-encoded as GBK, or the body replaced by non-JSON.
import fc from 'fast-check';
import iconv from 'iconv-lite';

export interface MutatedJson {
  base: number;
  steps: string[];
  body: Buffer;
  /** Sent with the storefront's token, or another Authorization header (`null`: none). */
  authorization: string | 'storefront' | null;
}

export const describeJsonMutant = (m: MutatedJson): string =>
  `base ${m.base}, ${m.steps.length === 0 ? 'unchanged' : m.steps.join(', then ')}, authorization ${m.authorization === 'storefront' ? 'the token' : JSON.stringify(m.authorization)}: ${m.body.toString('utf8').slice(0, 300)}`;

interface Step<T> {
  what: string;
  apply(input: T): T;
}
const described = <T>(what: string, apply: (input: T) => T): Step<T> => ({ what, apply });
type Body = Record<string, unknown>;

const ODD_VALUES: [string, unknown][] = [
  ['a number', 88.88], ['zero', 0], ['null', null], ['true', true], ['an empty string', ''], ['a space', ' '],
  ['an array', ['88.88']], ['an object', { value: '88.88' }], ['a nested array', [[[[]]]]],
  ['300 characters', 'x'.repeat(300)], ['5000 characters', '长'.repeat(5000)],
  ['a NUL', 'a\u0000b'], ['a line feed', 'a\nb'], ['a tab', 'a\tb'], ['a right-to-left override', 'a\u202Eb'], ['a zero-width joiner', 'a\u200Db'],
  ['"&"', 'a&b'], ['"="', 'a=b'], ['a re-split', 'Tea&total_fee=0.01&zz='], ['a percent-escape', 'a%26b'],
  ['an emoji', 'tea 🍵'], ['a lone surrogate', 'a\uD800b'], ['U+FFFD', '\uFFFD'], ['Arabic-Indic digits', '٨٨.٨٨'], ['full-width digits', '８８.８８'],
  ['an exponent', '1e2'], ['a negative amount', '-1.00'], ['three decimals', '1.001'], ['above the maximum', '100000000.01'], ['the minimum', '0.01'],
  ['a leading plus', '+1.00'], ['leading zeros', '007.00'], ['a comma', '1,00'], ['HTML', '<script>alert(1)</script>'], ['a URL', 'javascript:alert(1)'],
  ['"__proto__"', '__proto__'], ['a logistics list', [{ type: 'EMS', fee: '0.00', payment: 'SELLER_PAY' }]], ['a bad logistics list', [{ type: 'EMS', fee: {}, payment: [] }]],
  ['five logistics options', Array.from({ length: 5 }, () => ({ type: 'EMS', fee: '0.00', payment: 'SELLER_PAY' }))],
  ['a logistics option with __proto__', [JSON.parse('{"type":"EMS","fee":"0.00","payment":"SELLER_PAY","__proto__":{"x":1}}')]],
];

const FIELD_NAMES = [
  'service', 'outTradeNo', 'subject', 'body', 'totalFee', 'price', 'quantity', 'logistics', 'logisticsType', 'logisticsFee', 'logisticsPayment',
  'logisticsType1', 'showUrl', 'buyerEmail', 'itBPay', 'extraCommonParam', 'charset', 'discount', 'receiveName',
  // not the storefront's to set, or not fields at all
  'notifyUrl', 'returnUrl', 'partner', 'sellerId', 'sign', 'signType', 'inputCharset', 'paymentType', '__proto__', 'constructor', 'prototype',
  'total_fee', 'out_trade_no', 'TotalFee', 'unknownField', '', ' ', 'a'.repeat(200),
];

function fieldSteps(): fc.Arbitrary<Step<Body>> {
  const rare = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 1, arbitrary });
  const common = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 4, arbitrary });
  return fc.oneof(
    rare(fc.constantFrom(...FIELD_NAMES).map((name) => described<Body>(`${name} dropped`, (b) => {
      const copy = { ...b };
      delete copy[name];
      return copy;
    }))),
    common(fc.tuple(fc.constantFrom(...FIELD_NAMES), fc.constantFrom(...ODD_VALUES)).map(([name, [what, value]]) =>
      described<Body>(`${name || '""'} set to ${what}`, (b) => ({ ...b, [name]: value })))),
    common(fc.tuple(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 }), fc.constantFrom('prefix', 'suffix')).map(([name, text, where]) =>
      described<Body>(`${JSON.stringify(text)} added as a ${where} to ${name}`, (b) => ({ ...b, [name]: where === 'prefix' ? `${text}${String(b[name] ?? '')}` : `${String(b[name] ?? '')}${text}` })))),
    // Any code points, lone surrogates included (fc.string's 'binary' unit costs a million-entry table per instance).
    common(fc.tuple(fc.constantFrom(...FIELD_NAMES), fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 6 }).map((cps) => String.fromCodePoint(...cps))).map(([name, text]) =>
      described<Body>(`${name} set to the string ${JSON.stringify(text)}`, (b) => ({ ...b, [name]: text })))),
    rare(fc.constantFrom(...FIELD_NAMES).map((name) => described<Body>(`${name} renamed to snake_case`, (b) => {
      if (!(name in b)) return b;
      const { [name]: value, ...rest } = b;
      return { ...rest, [name.replace(/([A-Z])/g, '_$1').toLowerCase()]: value };
    }))),
  );
}

/** Changes to the JSON text: keys given twice, prototype keys the object form cannot hold, other shapes. */
function textSteps(): fc.Arbitrary<Step<string>> {
  return fc.oneof(
    fc.constantFrom('"totalFee":"0.01"', '"outTradeNo":"other"', '"__proto__":{"sellerId":"2088999999999999"}', '"constructor":{}', '"service":"create_direct_pay_by_user"')
      .map((entry) => described<string>(`${entry} added to the text`, (t) => t.replace(/}\s*$/, `,${entry}}`))),
    fc.constantFrom('[', '{"a":', '"', '\\', '\\u', '\\ud800', ',', '}', ']', '\u0000', '\ufeff')
      .chain((s) => fc.nat().map((i) => described<string>(`${JSON.stringify(s)} inserted at character #${i}`, (t) => {
        const p = i % (t.length + 1);
        return t.slice(0, p) + s + t.slice(p);
      }))),
    fc.constantFrom<[string, (t: string) => string]>(
      ['wrapped in an array', (t) => `[${t}]`], ['replaced by null', () => 'null'], ['replaced by a number', () => '88.88'], ['emptied', () => ''],
      ['replaced by a form body', () => 'service=create_direct_pay_by_user&total_fee=0.01'], ['nested 5000 levels deep', () => `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['given a byte-order mark', (t) => `\ufeff${t}`], ['followed by a second object', (t) => `${t}{}`], ['with \\u-escaped keys', (t) => t.replace(/"([a-z])/g, (_, c: string) => `"\\u00${c.charCodeAt(0).toString(16)}`)],
    ).map(([what, apply]) => described<string>(`the text ${what}`, apply)),
  );
}

function byteSteps(): fc.Arbitrary<Step<Buffer>> {
  return fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => described<Buffer>(`bit ${bit} of byte #${i} flipped`, (b) => {
      const copy = Buffer.from(b);
      if (copy.length > 0) copy[i % copy.length] = copy[i % copy.length]! ^ (1 << bit);
      return copy;
    })),
    fc.nat().map((i) => described<Buffer>(`cut at byte #${i}`, (b) => b.subarray(0, i % Math.max(b.length, 1)))),
    fc.constant(described<Buffer>('re-encoded as GBK', (b) => iconv.encode(b.toString('utf8'), 'gbk'))),
    fc.constant(described<Buffer>('re-encoded as UTF-16LE', (b) => Buffer.from(b.toString('utf8'), 'utf16le'))),
    fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xc0, 0x80, 0xed, 0xf4, 0x00)).map(([i, byte]) => described<Buffer>(`byte 0x${byte.toString(16)} inserted at #${i}`, (b) => {
      const p = i % (b.length + 1);
      return Buffer.concat([b.subarray(0, p), Buffer.from([byte]), b.subarray(p)]);
    })),
  );
}

const AUTHORIZATIONS: (string | null)[] = [null, '', 'Bearer', 'Bearer ', 'bearer storefront-test-token-0123456789', 'Basic c3RvcmVmcm9udA==', 'Bearer storefront-test-token-012345678', 'Bearer storefront-test-token-0123456789x'];

/**
 * A valid body from `bases`, then 1-3 field changes, sometimes a change to the text or the bytes, and now and then
 * an Authorization header other than the storefront's.
 */
export function mutatedJson(bases: readonly Body[]): fc.Arbitrary<MutatedJson> {
  return fc.record({
    base: fc.nat({ max: bases.length - 1 }),
    fields: fc.array(fieldSteps(), { minLength: 1, maxLength: 3 }),
    text: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Step<string>[]) }, { weight: 1, arbitrary: fc.array(textSteps(), { minLength: 1, maxLength: 2 }) }),
    bytes: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Step<Buffer>[]) }, { weight: 1, arbitrary: fc.array(byteSteps(), { minLength: 1, maxLength: 2 }) }),
    authorization: fc.oneof({ weight: 12, arbitrary: fc.constant<'storefront'>('storefront') }, { weight: 1, arbitrary: fc.constantFrom(...AUTHORIZATIONS) }),
  }).map(({ base, fields, text, bytes, authorization }) => {
    const object = fields.reduce((b, step) => step.apply(b), bases[base]!);
    const json = text.reduce((t, step) => step.apply(t), JSON.stringify(object));
    const body = bytes.reduce<Buffer>((b, step) => step.apply(b), Buffer.from(json, 'utf8'));
    const mutant: MutatedJson = { base, steps: [...fields, ...text, ...bytes].map((s) => s.what), body, authorization };
    return Object.assign(mutant, { [fc.toStringMethod]: () => describeJsonMutant(mutant) });
  });
}
