// The two gateway charsets (utf-8, gbk): names as Alipay writes them, strict text <-> bytes, and the error values.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CHARSETS, decodeText, encodeText, isValidUtf8, parseCharset, type Charset } from '../../shared/alipay/charset.ts';
import { AlipayError, isAlipayError } from '../../shared/alipay/errors.ts';
import { assertAlipayError } from '../support/assert-alipay-error.ts';

describe('parseCharset', () => {
  const accepted: [string, Charset][] = [
    ['utf-8', 'utf-8'],
    ['UTF-8', 'utf-8'],
    ['utf8', 'utf-8'],
    ['Utf-8', 'utf-8'],
    ['gbk', 'gbk'],
    ['GBK', 'gbk'],
    ['gb2312', 'gbk'],
    ['GB2312', 'gbk'],
  ];
  for (const [name, charset] of accepted) {
    test(`given "${name}", it reads ${charset}`, () => {
      assert.equal(parseCharset(name), charset);
    });
  }

  for (const name of ['latin1', 'iso-8859-1', 'utf-16', 'big5', 'gb18030', 'utf-8 ', '', 'UTF_8']) {
    test(`given "${name}", it refuses with UNSUPPORTED_CHARSET naming _input_charset`, () => {
      const err = assertAlipayError(() => parseCharset(name), 'UNSUPPORTED_CHARSET');
      assert.equal(err.field, '_input_charset');
      assert.match(err.message, /use "utf-8" or "gbk"/);
    });
  }

  test('given a non-string, it refuses with UNSUPPORTED_CHARSET and the field name the caller chose', () => {
    for (const bad of [undefined, null, 8, ['utf-8']]) {
      const err = assertAlipayError(() => parseCharset(bad, 'charset'), 'UNSUPPORTED_CHARSET');
      assert.equal(err.field, 'charset');
    }
  });

  test('CHARSETS lists exactly the two the gateway speaks', () => {
    assert.deepEqual([...CHARSETS], ['utf-8', 'gbk']);
  });
});

describe('encodeText', () => {
  test('given Chinese, UTF-8 gives 3 bytes per character and GBK 2', () => {
    assert.deepEqual(encodeText('测试', 'utf-8'), Buffer.from('e6b58be8af95', 'hex'));
    assert.deepEqual(encodeText('测试', 'gbk'), Buffer.from('b2e2cad4', 'hex'));
  });

  test('given full-width punctuation and ASCII, GBK encodes them', () => {
    assert.deepEqual(encodeText('a，b', 'gbk'), Buffer.from([0x61, 0xa3, 0xac, 0x62]));
  });

  test('given a real "?" in GBK text, it is kept (only characters GBK lacks are refused)', () => {
    assert.deepEqual(encodeText('测试?', 'gbk'), Buffer.from('b2e2cad43f', 'hex'));
  });

  test('given an emoji in GBK text, it throws UNENCODABLE_TEXT naming the character, its code point, its index and the field', () => {
    const err = assertAlipayError(() => encodeText('测试?😀', 'gbk', 'subject'), 'UNENCODABLE_TEXT');
    assert.match(err.message, /"😀" \(U\+1F600\) at index 3 in subject/);
    assert.match(err.message, /_input_charset=utf-8/);
    assert.equal(err.field, 'subject');
  });

  test('given text iconv-lite cannot write back faithfully (U+E7C7 alone comes out truncated, not as "?"), GBK refuses it', () => {
    const err = assertAlipayError(() => encodeText('\uE7C7', 'gbk'), 'UNENCODABLE_TEXT');
    assert.match(err.message, /U\+E7C7/);
  });

  test('given the same emoji in UTF-8 text, it encodes as 4 bytes', () => {
    assert.deepEqual(encodeText('😀', 'utf-8'), Buffer.from('f09f9880', 'hex'));
  });

  for (const [label, text] of [
    ['a lone high surrogate', 'ab\uD83D'],
    ['a lone low surrogate', '\uDE00cd'],
    ['two high surrogates', '\uD83D\uD83D'],
  ] as const) {
    for (const charset of CHARSETS) {
      test(`given ${label}, ${charset} refuses with UNENCODABLE_TEXT (no silent U+FFFD)`, () => {
        const err = assertAlipayError(() => encodeText(text, charset), 'UNENCODABLE_TEXT');
        assert.match(err.message, /lone surrogate/);
      });
    }
  }

  test('given a non-string, it throws INVALID_INPUT naming the field', () => {
    for (const bad of [undefined, null, 12, Buffer.from('a')]) {
      const err = assertAlipayError(() => encodeText(bad as unknown as string, 'utf-8', 'subject'), 'INVALID_INPUT');
      assert.equal(err.field, 'subject');
    }
  });

  test('given an unknown charset, it throws UNSUPPORTED_CHARSET instead of falling back to GBK', () => {
    for (const bad of ['UTF-8', 'utf8', 'latin1', undefined]) {
      assertAlipayError(() => encodeText('测试', bad as Charset), 'UNSUPPORTED_CHARSET');
    }
  });
});

describe('decodeText', () => {
  test('given UTF-8 bytes, it decodes them', () => {
    assert.equal(decodeText(Buffer.from('e6af9be6af9b', 'hex'), 'utf-8'), '毛毛');
  });

  test('given GBK bytes read as UTF-8, it refuses with UNENCODABLE_TEXT (strict, no U+FFFD)', () => {
    const err = assertAlipayError(() => decodeText(Buffer.from('b2e2cad4', 'hex'), 'utf-8'), 'UNENCODABLE_TEXT');
    assert.match(err.message, /GBK/);
  });

  test('given a truncated UTF-8 sequence or an encoded surrogate, it refuses', () => {
    assertAlipayError(() => decodeText(Buffer.from('e6af', 'hex'), 'utf-8'), 'UNENCODABLE_TEXT');
    assertAlipayError(() => decodeText(Buffer.from('eda080', 'hex'), 'utf-8'), 'UNENCODABLE_TEXT');
  });

  test('given a leading byte-order mark, UTF-8 keeps it (the bytes are what was signed)', () => {
    assert.equal(decodeText(Buffer.from('efbbbf61', 'hex'), 'utf-8'), '\uFEFFa');
  });

  test('given GBK bytes, gbk decodes them', () => {
    assert.equal(decodeText(Buffer.from('b2e2cad4', 'hex'), 'gbk'), '测试');
  });

  test('given a plain Uint8Array (not a Buffer), it decodes it', () => {
    assert.equal(decodeText(new Uint8Array([0xb2, 0xe2, 0xca, 0xd4]), 'gbk'), '测试');
    assert.equal(decodeText(new Uint8Array([0x61]), 'utf-8'), 'a');
  });

  test('given something that is not bytes, it throws INVALID_INPUT', () => {
    for (const charset of CHARSETS) {
      for (const bad of [undefined, null, 'abc', 5]) {
        assertAlipayError(() => decodeText(bad as unknown as Uint8Array, charset), 'INVALID_INPUT');
      }
    }
  });

  test('given an unknown charset, it throws UNSUPPORTED_CHARSET', () => {
    assertAlipayError(() => decodeText(Buffer.from('abc'), 'latin1' as Charset), 'UNSUPPORTED_CHARSET');
  });
});

describe('isValidUtf8', () => {
  test('given UTF-8 Chinese it says true; given the GBK bytes of the same text it says false', () => {
    assert.equal(isValidUtf8(encodeText('测试', 'utf-8')), true);
    assert.equal(isValidUtf8(encodeText('测试', 'gbk')), false);
    assert.equal(isValidUtf8(new Uint8Array(0)), true);
  });

  test('given something that is not bytes, it throws INVALID_INPUT rather than answering', () => {
    for (const bad of [undefined, 'abc']) {
      assertAlipayError(() => isValidUtf8(bad as unknown as Uint8Array), 'INVALID_INPUT');
    }
  });
});

describe('AlipayError', () => {
  test('given a field, toJSON carries code, message and field; without one, no field key; isAlipayError tells it apart', () => {
    const withField = new AlipayError('UNSUPPORTED_CHARSET', 'use utf-8', '_input_charset');
    assert.deepEqual(withField.toJSON(), { code: 'UNSUPPORTED_CHARSET', message: 'use utf-8', field: '_input_charset' });
    assert.deepEqual(new AlipayError('MALFORMED_FORM', 'bad').toJSON(), { code: 'MALFORMED_FORM', message: 'bad' });
    assert.equal(withField.name, 'AlipayError');
    assert.ok(withField instanceof Error);
    assert.equal(isAlipayError(withField), true);
    assert.equal(isAlipayError(new TypeError('x')), false);
    assert.equal(isAlipayError({ code: 'MALFORMED_FORM', message: 'bad' }), false);
  });
});
