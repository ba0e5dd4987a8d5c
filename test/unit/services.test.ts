// The five payment services (protocol doc §2): what each accepts, how amounts come back, and the rule every refusal names.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AlipayError, type AlipayErrorCode } from '../../shared/alipay/errors.ts';
import type { Charset } from '../../shared/alipay/charset.ts';
import { formatYuan } from '../../shared/alipay/amount.ts';
import {
  chargeableAmounts,
  SERVICE_NAMES,
  serviceSpec,
  validatePaymentParams,
} from '../../shared/alipay/services.ts';

const PARTNER = '2088101568358171';
const common = (charset: Charset = 'utf-8') => ({ partner: PARTNER, _input_charset: charset, payment_type: '1', seller_id: PARTNER });

/** create_direct_pay_by_user with the least it needs; the other instant services take the same shape. */
const DIRECT = { ...common(), service: 'create_direct_pay_by_user', out_trade_no: '20150401000-0001', subject: '测试商品', total_fee: '10.5' };

/** create_partner_trade_by_buyer with the least it needs: price, quantity and one logistics option. */
const ESCROW = {
  ...common(),
  service: 'create_partner_trade_by_buyer',
  out_trade_no: '20150401000-0002',
  subject: 'test',
  price: '10.5',
  quantity: '2',
  logistics_type: 'EXPRESS',
  logistics_fee: '0',
  logistics_payment: 'SELLER_PAY',
};

const DONATION = { ...common(), service: 'create_donate_trade_p', out_trade_no: 'D-1', subject: '捐赠' };

type Expected = { code: AlipayErrorCode; field: string; message: RegExp };

/** Asserts that validating `params` throws an AlipayError with this code, this field and a message matching the rule. */
function refuses(params: Record<string, unknown>, expected: Expected, charset: Charset = 'utf-8'): void {
  assert.throws(
    () => validatePaymentParams(params, charset),
    (e: unknown) => {
      assert.ok(e instanceof AlipayError, `expected an AlipayError, got ${String(e)}`);
      assert.equal(e.code, expected.code, e.message);
      assert.equal(e.field, expected.field, e.message);
      assert.match(e.message, expected.message);
      return true;
    },
  );
}

/** `base` without the named parameters. */
function without<T extends Record<string, string>>(base: T, ...names: string[]): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const n of names) delete out[n];
  return out;
}

describe('a minimal valid request for each service is accepted and its amounts come back as two-decimal strings', () => {
  test('create_direct_pay_by_user: total_fee "10.5" comes back as "10.50", everything else unchanged', () => {
    assert.deepEqual(validatePaymentParams(DIRECT, 'utf-8'), { ...DIRECT, total_fee: '10.50' });
  });

  test('create_digital_goods_trade_p takes the same parameters as instant payment', () => {
    const req = { ...DIRECT, service: 'create_digital_goods_trade_p' };
    assert.deepEqual(validatePaymentParams(req, 'utf-8'), { ...req, total_fee: '10.50' });
  });

  test('create_donate_trade_p with an amount: "10.5" comes back as "10.50"', () => {
    const req = { ...DONATION, total_fee: '10.5' };
    assert.deepEqual(validatePaymentParams(req, 'utf-8'), { ...req, total_fee: '10.50' });
  });

  for (const service of ['create_partner_trade_by_buyer', 'trade_create_by_buyer']) {
    test(`${service}: price "10.5" becomes "10.50" and logistics_fee "0" becomes "0.00"; quantity stays a count`, () => {
      const req = { ...ESCROW, service };
      assert.deepEqual(validatePaymentParams(req, 'utf-8'), { ...req, price: '10.50', logistics_fee: '0.00', quantity: '2' });
    });
  }

  test('the five services are exactly the ones the spec table knows, and each spec names itself', () => {
    assert.deepEqual([...SERVICE_NAMES].sort(), [
      'create_digital_goods_trade_p',
      'create_direct_pay_by_user',
      'create_donate_trade_p',
      'create_partner_trade_by_buyer',
      'trade_create_by_buyer',
    ]);
    for (const name of SERVICE_NAMES) assert.equal(serviceSpec(name).service, name);
  });

  test('price and quantity instead of total_fee is a valid instant payment', () => {
    const req = { ...without(DIRECT, 'total_fee'), price: '3', quantity: '4' };
    assert.deepEqual(validatePaymentParams(req, 'utf-8'), { ...req, price: '3.00' });
  });

  test('a parameter with an empty value is left out (it would not be sent or signed)', () => {
    const out = validatePaymentParams({ ...DIRECT, body: '' }, 'utf-8');
    assert.equal('body' in out, false);
  });

  test('any amount from 0.01 to 100000000.00, written with 0, 1 or 2 decimals, comes back as fixed two decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), fc.constantFrom(0, 1, 2), (fen, decimals) => {
        // Write the amount with as few decimals as possible, padded up to `decimals`.
        let written = formatYuan(fen).replace(/\.?0+$/, '');
        const have = written.includes('.') ? written.length - written.indexOf('.') - 1 : 0;
        if (decimals > have) written += (have === 0 ? '.' : '') + '0'.repeat(decimals - have);
        const out = validatePaymentParams({ ...DIRECT, total_fee: written }, 'utf-8');
        assert.equal(out.total_fee, formatYuan(fen));
        assert.deepEqual(chargeableAmounts(out), [fen]);
      }),
    );
  });
});

describe('amounts', () => {
  test('a JS number is refused, with the string to write instead', () => {
    refuses({ ...DIRECT, total_fee: 10 }, { code: 'INVALID_PARAMETER', field: 'total_fee', message: /must be a string such as "10\.00"/ });
  });

  const range = /from 0\.01 to 100000000\.00 with at most 2 decimals/;
  test('"0.00" is below the minimum of 0.01', () => {
    refuses({ ...DIRECT, total_fee: '0.00' }, { code: 'INVALID_PARAMETER', field: 'total_fee', message: range });
  });

  test('"100000000.01" is above the maximum of 100000000.00, which itself is accepted', () => {
    refuses({ ...DIRECT, total_fee: '100000000.01' }, { code: 'INVALID_PARAMETER', field: 'total_fee', message: range });
    assert.equal(validatePaymentParams({ ...DIRECT, total_fee: '100000000' }, 'utf-8').total_fee, '100000000.00');
  });

  test('three decimals are refused', () => {
    refuses({ ...DIRECT, total_fee: '1.005' }, { code: 'INVALID_PARAMETER', field: 'total_fee', message: range });
  });

  test('total_fee together with price and quantity is refused: one or the other', () => {
    refuses(
      { ...DIRECT, price: '5.25', quantity: '2' },
      { code: 'CONFLICTING_PARAMETERS', field: 'total_fee', message: /either total_fee, or price and quantity, not both/ },
    );
  });

  test('price without quantity is refused, naming quantity; quantity without price names price', () => {
    refuses({ ...without(DIRECT, 'total_fee'), price: '5.25' }, { code: 'MISSING_PARAMETER', field: 'quantity', message: /price and quantity go together: quantity is missing/ });
    refuses({ ...without(DIRECT, 'total_fee'), quantity: '2' }, { code: 'MISSING_PARAMETER', field: 'price', message: /price and quantity go together: price is missing/ });
  });

  test('no amount at all is refused for instant payment and virtual goods', () => {
    for (const service of ['create_direct_pay_by_user', 'create_digital_goods_trade_p']) {
      refuses({ ...without(DIRECT, 'total_fee'), service }, { code: 'MISSING_PARAMETER', field: 'total_fee', message: new RegExp(`${service} needs an amount: total_fee, or price and quantity`) });
    }
  });

  test('a donation without an amount is valid: the donor chooses', () => {
    assert.deepEqual(validatePaymentParams(DONATION, 'utf-8'), DONATION);
  });

  test('a donation with price but no quantity is still refused', () => {
    refuses({ ...DONATION, price: '1' }, { code: 'MISSING_PARAMETER', field: 'quantity', message: /price and quantity go together/ });
  });
});

describe('escrow logistics', () => {
  test('total_fee is refused: escrow is priced by price and quantity plus logistics', () => {
    refuses({ ...ESCROW, total_fee: '21.00' }, { code: 'CONFLICTING_PARAMETERS', field: 'total_fee', message: /priced by price and quantity \(plus logistics_fee\), not total_fee/ });
  });

  for (const name of ['logistics_type', 'logistics_fee', 'logistics_payment', 'price', 'quantity']) {
    test(`missing ${name} is refused`, () => {
      refuses(without(ESCROW, name), { code: 'MISSING_PARAMETER', field: name, message: new RegExp(`${name} is required for create_partner_trade_by_buyer`) });
    });
  }

  test('logistics_type must be EXPRESS, POST or EMS', () => {
    refuses({ ...ESCROW, logistics_type: 'SHIP' }, { code: 'INVALID_PARAMETER', field: 'logistics_type', message: /must be one of EXPRESS, POST, EMS/ });
  });

  test('logistics_payment must be BUYER_PAY, SELLER_PAY or BUYER_PAY_AFTER_RECEIVE', () => {
    refuses({ ...ESCROW, logistics_payment: 'buyer_pay' }, { code: 'INVALID_PARAMETER', field: 'logistics_payment', message: /must be one of BUYER_PAY, SELLER_PAY, BUYER_PAY_AFTER_RECEIVE/ });
  });

  test('alternative 2 without alternative 1 is refused: number them from 1', () => {
    const alt2 = { logistics_type_2: 'EMS', logistics_fee_2: '20', logistics_payment_2: 'BUYER_PAY' };
    refuses({ ...ESCROW, ...alt2 }, { code: 'INVALID_PARAMETER', field: 'logistics_type_2', message: /alternative 2 is given but 1 is not: number them from 1/ });
  });

  test('an incomplete alternative names its missing parameter', () => {
    refuses(
      { ...ESCROW, logistics_type_1: 'EMS', logistics_fee_1: '20' },
      { code: 'MISSING_PARAMETER', field: 'logistics_payment_1', message: /needs logistics_type_1, logistics_fee_1 and logistics_payment_1: logistics_payment_1 is missing/ },
    );
  });

  test('a complete alternative 1 is accepted and its fee normalised', () => {
    const out = validatePaymentParams({ ...ESCROW, logistics_type_1: 'EMS', logistics_fee_1: '20', logistics_payment_1: 'BUYER_PAY' }, 'utf-8');
    assert.equal(out.logistics_fee_1, '20.00');
  });
});

describe('single-parameter rules', () => {
  const tradeNoRule = /must be 1 to 64 characters of A-Z a-z 0-9 _ -/;
  test('out_trade_no of 64 characters is accepted, 65 is refused', () => {
    assert.equal(validatePaymentParams({ ...DIRECT, out_trade_no: 'a'.repeat(64) }, 'utf-8').out_trade_no, 'a'.repeat(64));
    refuses({ ...DIRECT, out_trade_no: 'a'.repeat(65) }, { code: 'INVALID_PARAMETER', field: 'out_trade_no', message: tradeNoRule });
  });

  test('out_trade_no with a space or Chinese is refused', () => {
    refuses({ ...DIRECT, out_trade_no: '2016-09-24 15:03' }, { code: 'INVALID_PARAMETER', field: 'out_trade_no', message: tradeNoRule });
    refuses({ ...DIRECT, out_trade_no: '订单1' }, { code: 'INVALID_PARAMETER', field: 'out_trade_no', message: tradeNoRule });
  });

  describe('subject is limited to 256 bytes in the request charset', () => {
    // 86 Chinese characters: 258 bytes in UTF-8 (3 each) but 172 bytes in GBK (2 each).
    const chinese86 = '测'.repeat(86);

    test('86 Chinese characters are too long in UTF-8 (258 bytes); 85 (255 bytes) fit', () => {
      refuses({ ...DIRECT, subject: chinese86 }, { code: 'INVALID_PARAMETER', field: 'subject', message: /at most 256 bytes in utf-8 \(got 258\)/ });
      assert.equal(validatePaymentParams({ ...DIRECT, subject: '测'.repeat(85) }, 'utf-8').subject, '测'.repeat(85));
    });

    test('the same 86 characters fit in GBK (172 bytes); 128 fit (256 bytes) and 129 do not (258 bytes)', () => {
      const gbk = { ...DIRECT, ...common('gbk') };
      assert.equal(validatePaymentParams({ ...gbk, subject: chinese86 }, 'gbk').subject, chinese86);
      assert.equal(validatePaymentParams({ ...gbk, subject: '测'.repeat(128) }, 'gbk').subject, '测'.repeat(128));
      refuses({ ...gbk, subject: '测'.repeat(129) }, { code: 'INVALID_PARAMETER', field: 'subject', message: /at most 256 bytes in gbk \(got 258\)/ }, 'gbk');
    });

    test('a subject GBK cannot write (an emoji) is refused in GBK, naming subject', () => {
      refuses({ ...DIRECT, ...common('gbk'), subject: '礼物🎁' }, { code: 'UNENCODABLE_TEXT', field: 'subject', message: /cannot be written in GBK/ }, 'gbk');
    });
  });

  test('an empty subject is missing; a whitespace-only subject is invalid', () => {
    refuses({ ...DIRECT, subject: '' }, { code: 'MISSING_PARAMETER', field: 'subject', message: /subject is required/ });
    // (A tab is refused on its own account: no value may carry control characters.)
    refuses({ ...DIRECT, subject: '  \u3000' }, { code: 'INVALID_PARAMETER', field: 'subject', message: /must be non-empty text/ });
  });

  test('notify_url with a query string or a relative path is refused', () => {
    refuses({ ...DIRECT, notify_url: 'https://shop.example.com/notify?id=123' }, { code: 'INVALID_PARAMETER', field: 'notify_url', message: /absolute http\(s\) URL with no query string/ });
    refuses({ ...DIRECT, notify_url: '/alipay/notify' }, { code: 'INVALID_PARAMETER', field: 'notify_url', message: /absolute http\(s\) URL/ });
    assert.equal(validatePaymentParams({ ...DIRECT, notify_url: 'https://shop.example.com/notify' }, 'utf-8').notify_url, 'https://shop.example.com/notify');
  });

  for (const value of ['1m', '90m', '15d', '360h', '1c']) {
    test(`it_b_pay "${value}" is accepted`, () => {
      assert.equal(validatePaymentParams({ ...DIRECT, it_b_pay: value }, 'utf-8').it_b_pay, value);
    });
  }
  for (const value of ['1.5h', '0m', '16d', '361h', '2c', '15', 'm']) {
    test(`it_b_pay "${value}" is refused`, () => {
      refuses({ ...DIRECT, it_b_pay: value }, { code: 'INVALID_PARAMETER', field: 'it_b_pay', message: /from 1m to 15d: a whole number with unit m, h or d \(1\.5h is written 90m\), or 1c/ });
    });
  }

  test('extra_common_param with "=" or "&" is refused (it comes back inside the notification)', () => {
    for (const value of ['order=1', 'a&b']) {
      refuses({ ...DIRECT, extra_common_param: value }, { code: 'INVALID_PARAMETER', field: 'extra_common_param', message: /contains "[=&]", so it could be re-split/ });
    }
    assert.equal(validatePaymentParams({ ...DIRECT, extra_common_param: 'campaign:spring' }, 'utf-8').extra_common_param, 'campaign:spring');
  });
});

describe('no value can be re-split into other parameters of the signed message', () => {
  // The MD5 presign joins raw values with & and =; Alipay echoes subject, body, … back in its notifications.
  const resplit = /could be re-split into other parameters of the signed message/;
  const forged = 'Tea&total_fee=12.34&trade_no=X&trade_status=TRADE_FINISHED&zz=';

  const ESCROW_TEXT = { ...ESCROW, receive_name: '张三', receive_address: '上海市 1号', buyer_msg: 'ring twice' };

  test('"&" in subject is refused, naming subject, and says what to write instead', () => {
    refuses({ ...DIRECT, subject: forged }, { code: 'INVALID_PARAMETER', field: 'subject', message: resplit });
    refuses({ ...DIRECT, subject: 'Tea & cake' }, { code: 'INVALID_PARAMETER', field: 'subject', message: /use ＆ or 'and'/ });
  });

  for (const [name, base] of [
    ['body', DIRECT], ['extra_common_param', DIRECT], ['seller_account_name', DIRECT], ['buyer_account_name', DIRECT],
    ['token', DIRECT], ['hb_fq_param', DIRECT], ['extend_param', DIRECT], ['buyer_email', DIRECT],
    ['receive_name', ESCROW_TEXT], ['receive_address', ESCROW_TEXT], ['buyer_msg', ESCROW_TEXT],
  ] as const) {
    test(`"&" in ${name} is refused, naming ${name}`, () => {
      refuses({ ...base, [name]: name === 'buyer_email' ? 'tea&cake@example.com' : 'tea&cake' }, { code: 'INVALID_PARAMETER', field: name, message: resplit });
    });
  }

  for (const [name, base] of [
    ['subject', DIRECT], ['body', DIRECT], ['extra_common_param', DIRECT],
    ['receive_name', ESCROW_TEXT], ['receive_address', ESCROW_TEXT], ['buyer_msg', ESCROW_TEXT],
  ] as const) {
    test(`"=" in ${name}, which Alipay echoes back, is refused too`, () => {
      refuses({ ...base, [name]: 'trade_status=TRADE_FINISHED' }, { code: 'INVALID_PARAMETER', field: name, message: resplit });
    });
  }

  test('show_url keeps one query parameter (?ref=alipay); a second one ("&") is refused with what to do instead', () => {
    const ok = 'https://shop.example.com/items/42?ref=alipay';
    assert.equal(validatePaymentParams({ ...DIRECT, show_url: ok }, 'utf-8').show_url, ok);
    refuses({ ...DIRECT, show_url: `${ok}&utm_source=x` }, { code: 'INVALID_PARAMETER', field: 'show_url', message: /at most one query parameter, or a short link/ });
  });

  test('for every parameter of every service, a value with "&" is refused naming that parameter', () => {
    for (const service of SERVICE_NAMES) {
      const spec = serviceSpec(service);
      const base = spec.kind === 'escrow' ? { ...ESCROW, service } : { ...DIRECT, service };
      for (const name of [...spec.required, ...spec.optional]) {
        assert.throws(
          () => validatePaymentParams({ ...base, [name]: 'a&b=c' }, 'utf-8'),
          (e: unknown) => e instanceof AlipayError && e.field === name,
          `${service}: ${name}="a&b=c" must be refused, naming ${name}`,
        );
      }
    }
  });
});

describe('control and bidirectional-formatting characters are refused in every value', () => {
  const named = /U\+[0-9A-F]{4}/;
  // C0 (tab included), DEL, C1, line/paragraph separators, bidi marks, embeddings, overrides and isolates.
  const refused = ['\u0000', '\t', '\n', '\r', '\u001B', '\u007F', '\u0085', '\u009F', '\u061C', '\u200E', '\u200F', '\u2028', '\u2029',
    '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];

  for (const ch of refused) {
    const cp = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    test(`${cp} in subject is refused, naming subject and the character`, () => {
      refuses({ ...DIRECT, subject: `Tea${ch}cake` }, { code: 'INVALID_PARAMETER', field: 'subject', message: new RegExp(`${cp.replace('+', '\\+')} .*at character 3`) });
    });
  }

  test('ordinary text stays accepted: Chinese, full-width punctuation, a zero-width joiner, an Arabic word', () => {
    for (const subject of ['西湖龙井茶，250 g', '茶＆点心', '👩\u200D💻 dev', 'شاي']) {
      assert.equal(validatePaymentParams({ ...DIRECT, subject }, 'utf-8').subject, subject);
    }
  });

  test('for every parameter of every service, a value with U+202E is refused naming that parameter', () => {
    for (const service of SERVICE_NAMES) {
      const spec = serviceSpec(service);
      const base = spec.kind === 'escrow' ? { ...ESCROW, service } : { ...DIRECT, service };
      for (const name of [...spec.required, ...spec.optional]) {
        assert.throws(
          () => validatePaymentParams({ ...base, [name]: 'ab\u202Ec' }, 'utf-8'),
          (e: unknown) => e instanceof AlipayError && e.field === name && (name === 'service' || named.test(e.message)),
          `${service}: ${name} with U+202E must be refused, naming ${name} and the character`,
        );
      }
    }
  });
});

describe('unknown names and cross-parameter rules', () => {
  test('an unknown parameter is refused, with a hint when it is a misspelling', () => {
    refuses({ ...without(DIRECT, 'total_fee'), totalfee: '1.00' }, { code: 'UNKNOWN_PARAMETER', field: 'totalfee', message: /totalfee is not a parameter of create_direct_pay_by_user: did you mean total_fee\?/ });
  });

  test('an unknown parameter with no near match gets no hint', () => {
    assert.throws(
      () => validatePaymentParams({ ...DIRECT, colour: 'red' }, 'utf-8'),
      (e: unknown) => e instanceof AlipayError && e.code === 'UNKNOWN_PARAMETER' && e.field === 'colour' && !/did you mean/.test(e.message),
    );
  });

  test('an escrow-only parameter is unknown to instant payment', () => {
    refuses({ ...DIRECT, logistics_type: 'EMS' }, { code: 'UNKNOWN_PARAMETER', field: 'logistics_type', message: /not a parameter of create_direct_pay_by_user/ });
  });

  test('an unknown service is refused with UNKNOWN_SERVICE, listing the supported ones', () => {
    refuses({ ...DIRECT, service: 'create_direct_pay' }, { code: 'UNKNOWN_SERVICE', field: 'service', message: /"create_direct_pay" is not supported: use one of create_direct_pay_by_user, / });
  });

  test('a request without any seller is refused, naming seller_id', () => {
    refuses(without(DIRECT, 'seller_id'), { code: 'MISSING_PARAMETER', field: 'seller_id', message: /needs the seller: seller_id .*, seller_email or seller_account_name/ });
  });

  test('seller_email alone is enough for the seller', () => {
    const req = { ...without(DIRECT, 'seller_id'), seller_email: 'shop@example.com' };
    assert.equal(validatePaymentParams(req, 'utf-8').seller_email, 'shop@example.com');
  });

  test('enable_paymethod and disable_paymethod together are refused', () => {
    refuses({ ...DIRECT, enable_paymethod: 'directPay^bankPay', disable_paymethod: 'creditCard' }, { code: 'CONFLICTING_PARAMETERS', field: 'disable_paymethod', message: /exclude each other/ });
  });

  test('defaultbank is refused without paymethod=bankPay and accepted with it', () => {
    refuses({ ...DIRECT, defaultbank: 'CMB' }, { code: 'CONFLICTING_PARAMETERS', field: 'defaultbank', message: /only applies with paymethod=bankPay/ });
    refuses({ ...DIRECT, defaultbank: 'CMB', paymethod: 'directPay' }, { code: 'CONFLICTING_PARAMETERS', field: 'defaultbank', message: /only applies with paymethod=bankPay/ });
    assert.equal(validatePaymentParams({ ...DIRECT, defaultbank: 'CMB', paymethod: 'bankPay' }, 'utf-8').defaultbank, 'CMB');
  });

  test('_input_charset that differs from the charset the request is encoded in is refused', () => {
    refuses(DIRECT, { code: 'CONFLICTING_PARAMETERS', field: '_input_charset', message: /differs from the charset the request is encoded in \("gbk"\)/ }, 'gbk');
  });
});

describe('chargeableAmounts: what the buyer may pay, in fen', () => {
  const validated = (p: Record<string, string>) => validatePaymentParams(p, 'utf-8');

  test('total_fee "10.5" is 1050 fen', () => {
    assert.deepEqual(chargeableAmounts(validated(DIRECT)), [1050]);
  });

  test('price × quantity: 10.50 × 2 is 2100 fen', () => {
    assert.deepEqual(chargeableAmounts(validated({ ...without(DIRECT, 'total_fee'), price: '10.5', quantity: '2' })), [2100]);
  });

  test('escrow with BUYER_PAY adds the logistics fee; SELLER_PAY and BUYER_PAY_AFTER_RECEIVE do not', () => {
    assert.deepEqual(chargeableAmounts(validated({ ...ESCROW, logistics_fee: '8', logistics_payment: 'BUYER_PAY' })), [2900]);
    assert.deepEqual(chargeableAmounts(validated({ ...ESCROW, logistics_fee: '8', logistics_payment: 'SELLER_PAY' })), [2100]);
    assert.deepEqual(chargeableAmounts(validated({ ...ESCROW, logistics_fee: '8', logistics_payment: 'BUYER_PAY_AFTER_RECEIVE' })), [2100]);
  });

  test('logistics alternatives give one total per distinct option the buyer can pick', () => {
    const req = {
      ...ESCROW,
      logistics_type: 'EXPRESS', logistics_fee: '10', logistics_payment: 'BUYER_PAY',
      logistics_type_1: 'EMS', logistics_fee_1: '20', logistics_payment_1: 'BUYER_PAY',
      logistics_type_2: 'POST', logistics_fee_2: '5', logistics_payment_2: 'SELLER_PAY',
    };
    assert.deepEqual(chargeableAmounts(validated(req)), [3100, 4100, 2100]);
  });

  test('two options with the same total count once', () => {
    const req = { ...ESCROW, logistics_type_1: 'EMS', logistics_fee_1: '30', logistics_payment_1: 'SELLER_PAY' };
    assert.deepEqual(chargeableAmounts(validated(req)), [2100]);
  });

  test('a donation without an amount has no fixed total', () => {
    assert.deepEqual(chargeableAmounts(validated(DONATION)), []);
  });
});

describe('price × quantity is bounded by the same maximum as any amount, 100000000.00', () => {
  const withPrice: Record<string, Record<string, string>> = {
    create_direct_pay_by_user: without(DIRECT, 'total_fee'),
    create_digital_goods_trade_p: { ...without(DIRECT, 'total_fee'), service: 'create_digital_goods_trade_p' },
    create_donate_trade_p: DONATION,
    create_partner_trade_by_buyer: ESCROW,
    trade_create_by_buyer: { ...ESCROW, service: 'trade_create_by_buyer' },
  };
  const atMost = /the total price × quantity \(\+ logistics fee, discount\) must be at most 100000000\.00/;

  for (const [service, base] of Object.entries(withPrice)) {
    test(`${service}: 100000000.00 × 2 is refused, naming quantity; 50000000.00 × 2 and 100000000.00 × 1 are accepted`, () => {
      refuses({ ...base, price: '100000000.00', quantity: '2' }, { code: 'INVALID_PARAMETER', field: 'quantity', message: atMost });
      assert.deepEqual(chargeableAmounts(validatePaymentParams({ ...base, price: '50000000.00', quantity: '2' }, 'utf-8')), [10_000_000_000]);
      assert.deepEqual(chargeableAmounts(validatePaymentParams({ ...base, price: '100000000.00', quantity: '1' }, 'utf-8')), [10_000_000_000]);
    });

    test(`${service}: 99999999.99 × 999999999 (beyond the safe-integer range in fen) is refused, naming quantity`, () => {
      refuses({ ...base, price: '99999999.99', quantity: '999999999' }, { code: 'INVALID_PARAMETER', field: 'quantity', message: atMost });
    });
  }

  test('any price and quantity: either refused naming quantity, or the exact product, a safe integer of at most 100000000.00', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), fc.integer({ min: 1, max: 999_999_999 }), (priceFen, quantity) => {
        const req = { ...without(DIRECT, 'total_fee'), price: formatYuan(priceFen), quantity: String(quantity) };
        const exact = BigInt(priceFen) * BigInt(quantity);
        if (exact > 10_000_000_000n) {
          refuses(req, { code: 'INVALID_PARAMETER', field: 'quantity', message: atMost });
        } else {
          assert.deepEqual(chargeableAmounts(validatePaymentParams(req, 'utf-8')), [Number(exact)]);
        }
      }),
    );
  });
});

describe('escrow discount: the buyer pays price × quantity + BUYER_PAY logistics fee + discount', () => {
  const validated = (p: Record<string, string>) => validatePaymentParams(p, 'utf-8');
  /** The protocol doc's example: 100.00 × 1, EXPRESS 10.00 paid by the buyer. */
  const TEA = { ...ESCROW, price: '100.00', quantity: '1', logistics_type: 'EXPRESS', logistics_fee: '10.00', logistics_payment: 'BUYER_PAY' };

  test('discount -20.00 takes 20.00 off: 100.00 + 10.00 - 20.00 is 9000 fen', () => {
    assert.deepEqual(chargeableAmounts(validated({ ...TEA, discount: '-20.00' })), [9000]);
  });

  test('a positive discount is added as given: + 5 is 11500 fen', () => {
    assert.deepEqual(chargeableAmounts(validated({ ...TEA, discount: '5' })), [11500]);
  });

  test('the discount applies to every logistics option', () => {
    const req = { ...TEA, discount: '-20', logistics_type_1: 'EMS', logistics_fee_1: '25', logistics_payment_1: 'BUYER_PAY', logistics_type_2: 'POST', logistics_fee_2: '5', logistics_payment_2: 'SELLER_PAY' };
    assert.deepEqual(chargeableAmounts(validated(req)), [9000, 10500, 8000]);
  });

  test('a discount that leaves exactly 0.01 is accepted; one that leaves 0.00 is refused, naming discount', () => {
    assert.deepEqual(chargeableAmounts(validated({ ...TEA, discount: '-109.99' })), [1]);
    refuses({ ...TEA, discount: '-110.00' }, { code: 'INVALID_PARAMETER', field: 'discount', message: /total .*0\.00.* is below the minimum 0\.01/ });
    refuses({ ...TEA, discount: '-500' }, { code: 'INVALID_PARAMETER', field: 'discount', message: /below the minimum 0\.01/ });
  });

  test('only the option it takes below 0.01 matters: every option must stay payable', () => {
    const req = { ...TEA, logistics_payment: 'SELLER_PAY', discount: '-100.00', logistics_type_1: 'EMS', logistics_fee_1: '25', logistics_payment_1: 'BUYER_PAY' };
    refuses(req, { code: 'INVALID_PARAMETER', field: 'discount', message: /logistics option EXPRESS/ });
  });

  test('a positive discount that lifts the total above 100000000.00 is refused, naming discount', () => {
    const req = { ...TEA, price: '99999990.00', discount: '0.01' };
    assert.deepEqual(chargeableAmounts(validated({ ...req, discount: '0.00' })), [10_000_000_000]);
    refuses(req, { code: 'INVALID_PARAMETER', field: 'discount', message: /above the maximum 100000000\.00/ });
  });

  test('a BUYER_PAY logistics fee that lifts the total above 100000000.00 is refused, naming that fee', () => {
    const req = { ...TEA, price: '100000000.00', logistics_type_1: 'EMS', logistics_fee_1: '0.01', logistics_payment_1: 'BUYER_PAY', logistics_fee: '0', discount: '' };
    refuses(req, { code: 'INVALID_PARAMETER', field: 'logistics_fee_1', message: /above the maximum 100000000\.00/ });
  });
});
