// Money at the protocol edge: yuan strings in and out, integer fen inside.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fen, formatYuan, parseYuan, MAX_PAYMENT_FEN, MIN_PAYMENT_FEN, type YuanRule } from '../../shared/alipay/amount.ts';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { assertAlipayError } from '../support/assert-alipay-error.ts';

describe('parseYuan with the default payment range [0.01, 100000000.00]', () => {
  const accepted: [string, number][] = [
    ['0.01', 1],
    ['0.1', 10],
    ['1', 100],
    ['10.5', 1050],
    ['46.00', 4600],
    ['1111.11', 111111],
    ['100000000.00', 10_000_000_000],
  ];
  for (const [text, amount] of accepted) {
    test(`given "${text}", it reads ${amount} fen`, () => {
      assert.equal(parseYuan(text, 'total_fee'), amount);
    });
  }

  const refused = [
    '0', // below the minimum
    '0.00',
    '100000000.01', // above the maximum
    '1.234', // three decimals
    '1e3',
    ' 1',
    '1 ',
    '+1',
    '1,000',
    '-1', // negative without allowNegative
    '01', // leading zero
    '1.',
    '.5',
    '',
    '0x10',
    'NaN',
    'Infinity',
    '１', // full-width digit
  ];
  for (const text of refused) {
    test(`given "${text}", it refuses with INVALID_PARAMETER naming the field`, () => {
      const err = assertAlipayError(() => parseYuan(text, 'total_fee'), 'INVALID_PARAMETER');
      assert.equal(err.field, 'total_fee');
      assert.ok(err.message.includes('total_fee'));
    });
  }

  test('given the JS number 0.01, it refuses: a float is never money, and the message shows the string to send', () => {
    const err = assertAlipayError(() => parseYuan(0.01, 'total_fee'), 'INVALID_PARAMETER');
    assert.match(err.message, /"0\.01"/);
    assertAlipayError(() => parseYuan(1000, 'total_fee'), 'INVALID_PARAMETER');
    assertAlipayError(() => parseYuan(Number.NaN, 'total_fee'), 'INVALID_PARAMETER');
  });

  test('given a range error, the message gives the bound in yuan', () => {
    assert.match(assertAlipayError(() => parseYuan('0.00', 'price'), 'INVALID_PARAMETER').message, /minimum 0\.01/);
    assert.match(assertAlipayError(() => parseYuan('100000000.01', 'price'), 'INVALID_PARAMETER').message, /maximum 100000000\.00/);
  });
});

describe('parseYuan with a custom rule', () => {
  test('given allowNegative, "-1" and "-1.5" read as negative fen', () => {
    const rule: YuanRule = { allowNegative: true };
    assert.equal(parseYuan('-1', 'discount', rule), -100);
    assert.equal(parseYuan('-1.5', 'discount', rule), -150);
  });

  test('given allowNegative, "-0.00" reads as 0, not -0', () => {
    assert.equal(parseYuan('-0.00', 'discount', { allowNegative: true }), 0);
  });

  test('given a rule with no bounds, "0.00" and large amounts are accepted', () => {
    assert.equal(parseYuan('0.00', 'discount', {}), 0);
    assert.equal(parseYuan('999999999999.99', 'discount', {}), 99_999_999_999_999);
  });

  test('given min and max in fen, they are inclusive', () => {
    const rule = { min: 100, max: 500 };
    assert.equal(parseYuan('1.00', 'refund', rule), 100);
    assert.equal(parseYuan('5', 'refund', rule), 500);
    assertAlipayError(() => parseYuan('0.99', 'refund', rule), 'INVALID_PARAMETER');
    assertAlipayError(() => parseYuan('5.01', 'refund', rule), 'INVALID_PARAMETER');
  });
});

describe('formatYuan', () => {
  const cases: [number, string][] = [
    [1, '0.01'],
    [10, '0.10'],
    [100, '1.00'],
    [100000, '1000.00'],
    [0, '0.00'],
    [-150, '-1.50'],
    [-1, '-0.01'],
    [10_000_000_000, '100000000.00'],
  ];
  for (const [amount, text] of cases) {
    test(`given ${amount} fen, it writes "${text}"`, () => {
      assert.equal(formatYuan(amount), text);
    });
  }

  test('given a fraction, NaN, Infinity, a string or an unsafe integer, it throws INVALID_INPUT', () => {
    for (const bad of [0.5, Number.NaN, Infinity, '100', 2 ** 53, undefined]) {
      assertAlipayError(() => formatYuan(bad as number), 'INVALID_INPUT');
    }
  });
});

describe('fen', () => {
  test('given a safe integer, it is that many fen', () => {
    assert.equal(fen(4600), 4600);
    assert.equal(fen(-1), -1);
  });

  test('given a fraction, a string or NaN, it throws INVALID_INPUT', () => {
    for (const bad of [0.01, '1', Number.NaN, undefined]) {
      assertAlipayError(() => fen(bad as number), 'INVALID_INPUT');
    }
  });
});

describe('properties', () => {
  test('given any fen in the payment range, formatYuan writes two decimals and parseYuan reads it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_PAYMENT_FEN, max: MAX_PAYMENT_FEN }), (amount) => {
        const text = formatYuan(amount);
        assert.match(text, /^(0|[1-9][0-9]*)\.[0-9]{2}$/);
        assert.equal(parseYuan(text, 'total_fee'), amount);
      }),
      { numRuns: 200 },
    );
  });

  test('given any fen, positive or negative, the round trip holds with allowNegative and no bounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_PAYMENT_FEN, max: MAX_PAYMENT_FEN }), (amount) => {
        assert.equal(parseYuan(formatYuan(amount), 'discount', { allowNegative: true }), amount);
      }),
      { numRuns: 200 },
    );
  });

  test('given any yuan string with one or two decimals in range, parseYuan agrees with integer arithmetic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }), fc.boolean(), (yuan, cents, short) => {
        fc.pre(yuan > 0 || cents > 0);
        fc.pre(!short || cents % 10 === 0);
        const text = short ? `${yuan}.${cents / 10}` : `${yuan}.${String(cents).padStart(2, '0')}`;
        assert.equal(parseYuan(text, 'total_fee'), yuan * 100 + cents);
      }),
      { numRuns: 200 },
    );
  });
});

describe('bad input is an AlipayError, never a TypeError', () => {
  test('parseYuan(undefined), null, an object or a bigint → INVALID_PARAMETER', () => {
    for (const bad of [undefined, null, { yuan: '1' }, 1n]) {
      assertAlipayError(() => parseYuan(bad, 'total_fee'), 'INVALID_PARAMETER');
    }
  });

  test('parseYuan with no field name still gives a clear AlipayError', () => {
    const untyped = parseYuan as unknown as (v?: unknown) => unknown;
    assertAlipayError(() => untyped(), 'INVALID_PARAMETER');
    assertAlipayError(() => untyped('abc'), 'INVALID_PARAMETER');
  });

  test('parseYuan with a null or non-object rule → INVALID_INPUT', () => {
    for (const bad of [null, 5, 'min']) {
      assertAlipayError(() => parseYuan('-1', 'total_fee', bad as unknown as YuanRule), 'INVALID_INPUT');
    }
  });
});
