// Partner id, MD5 key and callback URL checks (protocol doc §7, §2.1): each mistake gets a message that says what to fix.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { validateMd5Key, validatePartnerId, validateUrl } from '../../shared/alipay/credentials.ts';

/** Runs `fn`, asserts it throws an AlipayError with `code` and `field`, and returns it for further checks. */
function caught(fn: () => unknown, code: string, field: string): AlipayError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AlipayError, `expected an AlipayError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.field, field);
    return e;
  }
  assert.fail('expected an error');
}

describe('validatePartnerId', () => {
  test('a 16-digit id starting with 2088 is returned as is', () => {
    assert.equal(validatePartnerId('2088101568358171'), '2088101568358171');
  });

  test('an email is recognised as the login email, not the partner id', () => {
    const err = caught(() => validatePartnerId('shop@example.com'), 'INVALID_CONFIG', 'partner');
    assert.match(err.message, /looks like an email address/);
    assert.match(err.message, /16-digit number starting with 2088/);
  });

  test('leading or trailing whitespace is named as such', () => {
    for (const value of [' 2088101568358171', '2088101568358171\n']) {
      assert.match(caught(() => validatePartnerId(value), 'INVALID_CONFIG', 'partner').message, /leading or trailing whitespace/);
    }
  });

  test('the wrong length or prefix is refused, stating the format', () => {
    for (const value of ['208810156835817', '20881015683581710', '1000000000000000', '2088abcdefghijkl']) {
      assert.match(caught(() => validatePartnerId(value), 'INVALID_CONFIG', 'partner').message, /expected 16 digits starting with 2088/);
    }
  });

  test('missing or not a string is refused as missing', () => {
    for (const value of [undefined, '', 2088101568358171]) {
      assert.match(caught(() => validatePartnerId(value), 'INVALID_CONFIG', 'partner').message, /partner is missing/);
    }
  });

  test('the field name in the message follows the caller (e.g. seller_id)', () => {
    assert.match(caught(() => validatePartnerId('x@y.z', 'seller_id'), 'INVALID_CONFIG', 'seller_id').message, /^seller_id /);
  });
});

describe('validateMd5Key never echoes the key', () => {
  const KEY = 'k3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3';

  test('32 letters and digits, in any case, are returned as is', () => {
    assert.equal(validateMd5Key(KEY), KEY);
    assert.equal(validateMd5Key('18x8lAi0a1520st1hvxcnt7m4w1whkbs'), '18x8lAi0a1520st1hvxcnt7m4w1whkbs');
  });

  const cases: Array<[string, string, RegExp]> = [
    ['a trailing newline', `${KEY}\n`, /leading or trailing whitespace/],
    ['a leading space', ` ${KEY}`, /leading or trailing whitespace/],
    ['31 characters', KEY.slice(1), /expected exactly 32 letters and digits, got 31 characters$/],
    ['33 characters', `${KEY}x`, /got 33 characters$/],
    ['symbols', `${KEY.slice(2)}+/`, /got 32 characters including other characters/],
    ['a space inside', `${KEY.slice(0, 16)} ${KEY.slice(17)}`, /including other characters/],
  ];
  for (const [what, value, message] of cases) {
    test(`a key with ${what} is refused, and the message does not contain it`, () => {
      const err = caught(() => validateMd5Key(value), 'INVALID_CONFIG', 'key');
      assert.match(err.message, message);
      assert.equal(err.message.includes(value.trim()), false);
      assert.equal(err.message.includes(KEY.slice(2, 30)), false);
      assert.equal(JSON.stringify(err).includes(KEY.slice(2, 30)), false);
    });
  }

  test('a missing key says where to find it', () => {
    assert.match(caught(() => validateMd5Key(''), 'INVALID_CONFIG', 'key').message, /key is missing: set it to the 32-character MD5 key/);
  });

  test('property: for any malformed key, no 8-character piece of it appears in the message', () => {
    const keyChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/= \t'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: keyChar, minLength: 8, maxLength: 64 }), (key) => {
        fc.pre(!/^[0-9A-Za-z]{32}$/.test(key));
        const err = caught(() => validateMd5Key(key), 'INVALID_CONFIG', 'key');
        for (let i = 0; i + 8 <= key.length; i++) {
          const piece = key.slice(i, i + 8);
          if (/^[0-9A-Za-z]{8}$/.test(piece)) assert.equal(err.message.includes(piece), false, err.message);
        }
      }),
    );
  });
});

describe('validateUrl', () => {
  test('absolute http and https URLs are returned as is', () => {
    assert.equal(validateUrl('https://shop.example.com/alipay/notify', 'notify_url', { allowQuery: false }), 'https://shop.example.com/alipay/notify');
    assert.equal(validateUrl('http://203.0.113.7:8080/notify', 'notify_url', { allowQuery: false }), 'http://203.0.113.7:8080/notify');
  });

  test('a query string is refused for callbacks and allowed where the caller says so (show_url)', () => {
    const err = caught(() => validateUrl('https://shop.example.com/notify?id=123', 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url');
    assert.match(err.message, /must not have a query string/);
    caught(() => validateUrl('https://shop.example.com/notify?', 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url');
    assert.equal(validateUrl('https://shop.example.com/item?id=123', 'show_url', { allowQuery: true }), 'https://shop.example.com/item?id=123');
  });

  test('a relative URL is refused with an example of an absolute one', () => {
    assert.match(caught(() => validateUrl('/alipay/notify', 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url').message, /not an absolute URL: write it in full/);
  });

  test('other schemes are refused', () => {
    assert.match(caught(() => validateUrl('ftp://example.com/notify', 'return_url', { allowQuery: false }), 'INVALID_PARAMETER', 'return_url').message, /http or https, not ftp:/);
    caught(() => validateUrl('javascript:alert(1)', 'return_url', { allowQuery: true }), 'INVALID_PARAMETER', 'return_url');
  });

  test('whitespace around the URL is refused even though the URL parser would strip it', () => {
    assert.match(caught(() => validateUrl(' https://example.com/notify', 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url').message, /whitespace/);
    caught(() => validateUrl('https://example.com/notify\n', 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url');
  });

  test('a #fragment is refused, with or without allowQuery', () => {
    for (const allowQuery of [false, true]) {
      assert.match(caught(() => validateUrl('https://example.com/notify#x', 'notify_url', { allowQuery }), 'INVALID_PARAMETER', 'notify_url').message, /#fragment/);
    }
  });

  test('empty or non-string is refused', () => {
    caught(() => validateUrl('', 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url');
    caught(() => validateUrl(undefined, 'notify_url', { allowQuery: false }), 'INVALID_PARAMETER', 'notify_url');
  });
});
