// The byte-level form codec (form.ts) and the parameter maps built from it (params.ts).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import {
  encodeForm,
  encodeFormBytes,
  parseFormBytes,
  percentDecodeBytes,
  percentEncodeBytes,
  type FormPair,
} from '../../shared/alipay/form.ts';
import { byteParamsFromForm, byteParamsFromStrings, decodeParams, textParam, type ByteParams } from '../../shared/alipay/params.ts';
import { decodeText } from '../../shared/alipay/charset.ts';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { assertAlipayError } from '../support/assert-alipay-error.ts';
import { readForm } from '../support/presign-oracle.ts';

/** The pairs as [name, value] strings, bytes read as Latin-1 so every byte is visible. */
function latin1Pairs(pairs: FormPair[]): [string, string][] {
  return pairs.map(({ name, value }) => [name.toString('latin1'), value.toString('latin1')]);
}

function parse(body: string): [string, string][] {
  return latin1Pairs(parseFormBytes(Buffer.from(body, 'latin1')));
}

describe('parseFormBytes', () => {
  test('given "+" it reads a space, and given "%2B" a plus', () => {
    assert.deepEqual(parse('subject=a+b%2Bc'), [['subject', 'a b+c']]);
  });

  test('given lowercase or uppercase hex escapes, it reads the same bytes', () => {
    const lower = parseFormBytes(Buffer.from('account_name=%e6%af%9b%e6%af%9b'));
    const upper = parseFormBytes(Buffer.from('account_name=%E6%AF%9B%E6%AF%9B'));
    assert.deepEqual(lower, upper);
    assert.equal(decodeText(lower[0]!.value, 'utf-8'), '毛毛');
  });

  for (const bad of ['%', '%4', '%G1', '%4G', 'ok%']) {
    test(`given the malformed escape in "v=${bad}", it throws MALFORMED_FORM instead of guessing`, () => {
      const err = assertAlipayError(() => parseFormBytes(Buffer.from(`a=1&v=${bad}`)), 'MALFORMED_FORM');
      assert.match(err.message, /two hex digits/);
    });
  }

  test('given a malformed escape in a parameter name, it throws MALFORMED_FORM too', () => {
    assertAlipayError(() => parseFormBytes('na%Zme=1'), 'MALFORMED_FORM');
  });

  test('given empty segments ("&&", a leading or trailing "&"), they are skipped', () => {
    assert.deepEqual(parse('&a=1&&b=2&'), [['a', '1'], ['b', '2']]);
    assert.deepEqual(parse(''), []);
    assert.deepEqual(parse('&&&'), []);
  });

  test('given a pair without "=", it reads a name with an empty value', () => {
    assert.deepEqual(parse('flag&a=1'), [['flag', ''], ['a', '1']]);
  });

  test('given "=" inside a value, only the first "=" splits name from value', () => {
    assert.deepEqual(parse('a=b=c&d=='), [['a', 'b=c'], ['d', '=']]);
  });

  test('given escaped "&" and "=" in names and values, they are data, not separators', () => {
    assert.deepEqual(parse('a%3Db=c%26d'), [['a=b', 'c&d']]);
  });

  test('given raw non-ASCII bytes (unescaped GBK), they pass through unchanged', () => {
    const gbk = iconv.encode('测试', 'gbk');
    const body = Buffer.concat([Buffer.from('subject='), gbk, Buffer.from('&x=1')]);
    const [subject, x] = parseFormBytes(body);
    assert.deepEqual(subject!.value, gbk);
    assert.equal(decodeText(subject!.value, 'gbk'), '测试');
    assert.equal(x!.value.toString(), '1');
  });

  test('given a Uint8Array view into a larger buffer, it reads only the view', () => {
    const whole = Buffer.from('XXXXa=1&b=2YYYY');
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 4, 7);
    assert.deepEqual(latin1Pairs(parseFormBytes(view)), [['a', '1'], ['b', '2']]);
  });

  test('given a Latin-1 string (each char one byte), it reads it like the same bytes', () => {
    assert.deepEqual(parseFormBytes('a=%B2%E2&b=\u00e9'), parseFormBytes(Buffer.from([...Buffer.from('a=%B2%E2&b='), 0xe9])));
  });

  test('given an already-decoded JS string with Chinese in it, it refuses (pass the raw body bytes instead)', () => {
    const err = assertAlipayError(() => parseFormBytes('subject=测试'), 'INVALID_INPUT');
    assert.match(err.message, /raw body bytes/);
  });

  test('given a decoded string with U+FFFD (what a GBK body becomes as UTF-8), it refuses too', () => {
    const broken = Buffer.concat([Buffer.from('subject='), iconv.encode('测试', 'gbk')]).toString('utf8');
    assertAlipayError(() => parseFormBytes(broken), 'INVALID_INPUT');
  });
});

describe('percentDecodeBytes / percentEncodeBytes', () => {
  test('given "%41+%e6", it decodes to the bytes 41 20 e6', () => {
    assert.deepEqual(percentDecodeBytes(Buffer.from('%41+%e6')), Buffer.from([0x41, 0x20, 0xe6]));
  });

  test('given bytes, it keeps A-Z a-z 0-9 * - . _ as they are, writes space as "+", and everything else as uppercase %XX', () => {
    assert.equal(percentEncodeBytes(Buffer.from('Az09*-._ ~+&=%/:')), 'Az09*-._+%7E%2B%26%3D%25%2F%3A');
    assert.equal(percentEncodeBytes(Buffer.from([0x00, 0x0a, 0xe6, 0xff])), '%00%0A%E6%FF');
  });
});

describe('encodeForm / encodeFormBytes', () => {
  test('given a Chinese subject in UTF-8, it writes the UTF-8 bytes percent-encoded', () => {
    assert.equal(encodeForm([['subject', '测试 a+b'], ['total_fee', '0.01']], 'utf-8'), 'subject=%E6%B5%8B%E8%AF%95+a%2Bb&total_fee=0.01');
  });

  test('given the same subject in GBK, it writes the GBK bytes', () => {
    assert.equal(encodeForm([['subject', '测试']], 'gbk'), 'subject=%B2%E2%CA%D4');
  });

  test('given the A3 params, it writes the query of chloerei\'s expected URL', () => {
    const pairs: [string, string][] = [
      ['service', 'refund_fastpay_by_platform_pwd'],
      ['refund_date', '2015-01-01 00:00:00'],
      ['detail_data', '1^0.01^test'],
      ['notify_url', '/some_url'],
    ];
    assert.equal(
      encodeForm(pairs, 'utf-8'),
      'service=refund_fastpay_by_platform_pwd&refund_date=2015-01-01+00%3A00%3A00&detail_data=1%5E0.01%5Etest&notify_url=%2Fsome_url',
    );
  });

  test('given an emoji for a GBK form, it throws UNENCODABLE_TEXT naming the parameter', () => {
    const err = assertAlipayError(() => encodeForm([['subject', 'ok😀']], 'gbk'), 'UNENCODABLE_TEXT');
    assert.equal(err.field, 'subject');
  });

  test('given received byte pairs, encodeFormBytes writes a body that parses back to the same pairs', () => {
    const pairs = parseFormBytes(Buffer.from('a=1+2&b=%B2%E2&c=&d=%25'));
    assert.deepEqual(parseFormBytes(Buffer.from(encodeFormBytes(pairs))), pairs);
    assert.equal(encodeFormBytes(pairs), 'a=1+2&b=%B2%E2&c=&d=%25');
  });
});

describe('byteParamsFromForm / textParam / decodeParams', () => {
  test('given distinct names, it maps each name to its value bytes', () => {
    const params = byteParamsFromForm(parseFormBytes(Buffer.from('subject=%E6%AF%9B&total_fee=0.01')));
    assert.deepEqual([...params.keys()], ['subject', 'total_fee']);
    assert.equal(textParam(params, 'subject', 'utf-8'), '毛');
    assert.equal(textParam(params, 'missing', 'utf-8'), undefined);
    assert.deepEqual(decodeParams(params, 'utf-8'), { subject: '毛', total_fee: '0.01' });
  });

  test('given the same name twice (even with the same value), it refuses with MALFORMED_FORM naming it', () => {
    const err = assertAlipayError(() => byteParamsFromForm(parseFormBytes('total_fee=0.01&total_fee=0.01')), 'MALFORMED_FORM');
    assert.equal(err.field, 'total_fee');
  });

  test('given a pair with an empty name ("=1"), it refuses with MALFORMED_FORM', () => {
    assertAlipayError(() => byteParamsFromForm(parseFormBytes('a=1&=1')), 'MALFORMED_FORM');
  });

  test('given GBK bytes, decodeParams in gbk reads the Chinese', () => {
    const params = byteParamsFromForm(parseFormBytes('subject=%B2%E2%CA%D4&n=1'));
    assert.deepEqual(decodeParams(params, 'gbk'), { subject: '测试', n: '1' });
  });

  test('given string params, byteParamsFromStrings encodes the values in the charset', () => {
    const params = byteParamsFromStrings({ subject: '测试' }, 'gbk');
    assert.deepEqual(params.get('subject'), Buffer.from([0xb2, 0xe2, 0xca, 0xd4]));
  });
});

describe('parseFormBytes + byteParamsFromForm against the protocol notes (test/support/presign-oracle.ts readForm, written apart)', () => {
  /** The parameters as Latin-1 text, or the error's code. */
  const ours = (body: Buffer) => {
    try {
      return { params: [...byteParamsFromForm(parseFormBytes(body))].map(([n, v]) => [n, v.toString('latin1')]) };
    } catch (err) {
      return { error: err instanceof AlipayError ? err.code : String(err) };
    }
  };
  /** The oracle has no rule for an empty name; we refuse one (which parameter would it be?). */
  const oracle = (body: Buffer) => {
    const read = readForm(body);
    if ('why' in read || read.params.has('')) return { error: 'MALFORMED_FORM' };
    return { params: [...read.params].map(([n, v]) => [n, v.toString('latin1')]) };
  };

  test('given any bytes made of separators, escapes (good and broken) and text, it reads what the oracle reads, or refuses as it does', () => {
    const piece = fc.constantFrom('a', 'b', 'sign', '=', '&', '+', '%', '%2', '%41', '%e6', '%zz', '%26', '%3D', '\xe6', '\xb2\xe2', '');
    fc.assert(fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
      const body = Buffer.from(pieces.join(''), 'latin1');
      assert.deepEqual(ours(body), oracle(body));
    }), { numRuns: 2_000 });
  });

  test('given a malformed escape, the error names the parameter it is in', () => {
    assert.match(assertAlipayError(() => parseFormBytes(Buffer.from('a=1&subject=%E6%A')), 'MALFORMED_FORM').message, /percent-escape "%A" at byte 3 of the value of "subject"/);
    assert.match(assertAlipayError(() => parseFormBytes(Buffer.from('a=1&s%G=1')), 'MALFORMED_FORM').message, /percent-escape "%G" at byte 1 of parameter name #2/);
    assert.match(assertAlipayError(() => parseFormBytes(Buffer.from('a=1&s%4&b=1')), 'MALFORMED_FORM').message, /percent-escape "%4" at byte 1 of parameter name #2/);
  });
});

describe('properties: encodeForm → parseFormBytes → decodeText is the identity', () => {
  const roundTrip = (pairs: [string, string][], charset: 'utf-8' | 'gbk') =>
    parseFormBytes(Buffer.from(encodeForm(pairs, charset), 'latin1')).map(({ name, value }) => [
      decodeText(name, charset),
      decodeText(value, charset),
    ]);

  for (const unit of ['grapheme', 'binary'] as const) {
    test(`given any Unicode strings (unit "${unit}"), UTF-8 round-trips`, () => {
      const text = fc.string({ unit, maxLength: 30 });
      fc.assert(
        fc.property(fc.array(fc.tuple(text.filter((n) => n !== ''), text), { maxLength: 5 }), (pairs) => {
          assert.deepEqual(roundTrip(pairs, 'utf-8'), pairs);
        }),
        { numRuns: 200 },
      );
    });
  }

  test('given GBK-representable strings (ASCII, common Chinese, full-width punctuation), GBK round-trips', () => {
    const chinese = [...'的一是不了人我在有他这中大来上个国和到说们为子地也时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从知使测试商品珊瑚毛常炜买家'];
    const punctuation = [...'，。、；：？！“”‘’（）《》【】…—￥'];
    const ascii = fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c));
    const unit = fc.oneof(ascii, fc.constantFrom(...chinese), fc.constantFrom(...punctuation));
    const text = fc.string({ unit, maxLength: 30 });
    fc.assert(
      fc.property(fc.array(fc.tuple(text.filter((n) => n !== ''), text), { maxLength: 5 }), (pairs) => {
        assert.deepEqual(roundTrip(pairs, 'gbk'), pairs);
      }),
      { numRuns: 200 },
    );
  });

  test('given any byte pairs, encodeFormBytes → parseFormBytes returns the same bytes', () => {
    const bytes = fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(fc.array(fc.record({ name: bytes.filter((b) => b.length > 0), value: bytes }), { maxLength: 5 }), (pairs) => {
        const parsed = parseFormBytes(Buffer.from(encodeFormBytes(pairs), 'latin1'));
        assert.deepEqual(latin1Pairs(parsed), latin1Pairs(pairs));
      }),
      { numRuns: 200 },
    );
  });
});

describe('bad input is an AlipayError, never a TypeError', () => {
  test('parseFormBytes with undefined, null, a number or an object → INVALID_INPUT', () => {
    for (const bad of [undefined, null, 42, { body: 'a=1' }]) {
      assertAlipayError(() => parseFormBytes(bad as unknown as Uint8Array), 'INVALID_INPUT');
    }
  });

  test('percentDecodeBytes and percentEncodeBytes with a string or undefined → INVALID_INPUT (not silent zero bytes)', () => {
    for (const bad of ['a+b', undefined, 7]) {
      assertAlipayError(() => percentDecodeBytes(bad as unknown as Uint8Array), 'INVALID_INPUT');
      assertAlipayError(() => percentEncodeBytes(bad as unknown as Uint8Array), 'INVALID_INPUT');
    }
  });

  test('encodeForm with something that is not a list of string pairs → INVALID_INPUT', () => {
    for (const bad of [undefined, null, 42, [['a', 1]], [null], ['ab']]) {
      assertAlipayError(() => encodeForm(bad as unknown as [string, string][], 'utf-8'), 'INVALID_INPUT');
    }
  });

  test('encodeForm with an unknown charset → UNSUPPORTED_CHARSET', () => {
    assertAlipayError(() => encodeForm([['a', '测试']], 'latin1' as 'utf-8'), 'UNSUPPORTED_CHARSET');
  });

  test('encodeFormBytes with pairs whose name or value is not bytes → INVALID_INPUT', () => {
    for (const bad of [undefined, [{ name: 'a', value: 'b c' }], [{ name: Buffer.from('a') }], [null]]) {
      assertAlipayError(() => encodeFormBytes(bad as unknown as FormPair[]), 'INVALID_INPUT');
    }
  });

  test('byteParamsFromForm with something that is not a list of byte pairs → INVALID_INPUT', () => {
    for (const bad of [undefined, null, 'a=1', [{}], [{ name: 'a', value: 'b' }], [null]]) {
      assertAlipayError(() => byteParamsFromForm(bad as unknown as FormPair[]), 'INVALID_INPUT');
    }
  });

  test('byteParamsFromStrings with a non-object or a non-string value → INVALID_INPUT', () => {
    for (const bad of [null, undefined, 'a=1', ['a'], { a: 1 }, { a: null }, { a: undefined }]) {
      assertAlipayError(() => byteParamsFromStrings(bad as unknown as Record<string, string>, 'utf-8'), 'INVALID_INPUT');
    }
  });

  test('textParam and decodeParams with something that is not a Map of bytes → INVALID_INPUT', () => {
    for (const bad of [undefined, null, { a: Buffer.from('1') }, new Map([['a', '1']])]) {
      const p = bad as unknown as ByteParams;
      assertAlipayError(() => textParam(p, 'a', 'utf-8'), 'INVALID_INPUT');
      assertAlipayError(() => decodeParams(p, 'utf-8'), 'INVALID_INPUT');
    }
  });
});
