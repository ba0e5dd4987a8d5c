// `alipay explain`: given a signed message and the key, say what was signed and which common mistake reproduces a bad sign.
// Each bad sign below is made by an independent oracle that commits the mistake on purpose (protocol doc §1, §6, §8.2).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { AlipayError } from '../../shared/alipay/errors.ts';
import type { Charset } from '../../shared/alipay/charset.ts';
import { explain, formatDiagnosis, readExplainInput, type Cause, type Diagnosis } from '../../shared/alipay/explain.ts';

/** A recognisable fake key: if it ever shows up in output, the redaction failed. */
const KEY = 'fakefakefakefakefakefakefakefake';
const PARTNER = '2088101568358171';

/** A message as the gateway would receive it (before sign/sign_type), with Chinese text, a URL, a space and an amount. */
const MESSAGE: Record<string, string> = {
  service: 'create_direct_pay_by_user',
  _input_charset: 'utf-8',
  partner: PARTNER,
  seller_id: PARTNER,
  payment_type: '1',
  out_trade_no: '20150401000-0001',
  subject: '测试商品 x1',
  total_fee: '1000.00',
  notify_url: 'https://example.com/alipay/notify',
};

/** The same as a notification, which carries notify_id. */
const NOTIFICATION: Record<string, string> = {
  notify_id: 'RqPnCoPT3K9/Vwbh3InWeOSmYSq6fCcDzhMU3KTg',
  notify_time: '2015-04-01 12:00:00',
  notify_type: 'trade_status_sync',
  out_trade_no: '20150401000-0001',
  subject: '测试商品',
  total_fee: '0.01',
  trade_status: 'TRADE_SUCCESS',
  seller_id: PARTNER,
};

interface Mistakes {
  charset?: Charset;
  withSignType?: boolean;
  keepEmpty?: boolean;
  omit?: string[];
  value?: (name: string, value: string) => string;
  key?: string;
}

/** The oracle signer: §1 done by hand, optionally with one deliberate mistake. */
function signAs(params: Record<string, string>, m: Mistakes = {}): string {
  const presign = Object.keys(params)
    .filter((k) => k !== 'sign' && (m.withSignType || k !== 'sign_type'))
    .filter((k) => m.keepEmpty || params[k] !== '')
    .filter((k) => !(m.omit ?? []).includes(k))
    .sort()
    .map((k) => `${k}=${m.value ? m.value(k, params[k]!) : params[k]}`)
    .join('&');
  const text = presign + (m.key ?? KEY);
  const bytes = (m.charset ?? 'utf-8') === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gbk');
  return createHash('md5').update(bytes).digest('hex');
}

/** Form-urlencodes string params as UTF-8 (the encoding a browser or http client applies for transport). */
const formBody = (params: Record<string, string>) => new URLSearchParams(params).toString();

const codes = (causes: Cause[]) => causes.map((c) => c.code);

/** Every diagnosis made in this file, so the last test can check none of them leaks the key. */
const diagnoses: Diagnosis[] = [];
function explainJson(params: Record<string, string>, key = KEY, charset?: Charset): Diagnosis {
  const d = explain(JSON.stringify(params), key, charset);
  diagnoses.push(d);
  return d;
}

describe('a valid message', () => {
  test('is valid, with no causes, and shows the presign and the expected sign', () => {
    const sign = signAs(MESSAGE);
    const d = explainJson({ ...MESSAGE, sign, sign_type: 'MD5' });
    assert.equal(d.valid, true);
    assert.deepEqual(d.causes, []);
    assert.equal(d.expectedSign, sign);
    assert.equal(d.receivedSign, sign);
    assert.equal(d.signType, 'MD5');
    assert.equal(
      d.presign,
      '_input_charset=utf-8&notify_url=https://example.com/alipay/notify&out_trade_no=20150401000-0001&partner=2088101568358171&payment_type=1&seller_id=2088101568358171&service=create_direct_pay_by_user&subject=测试商品 x1&total_fee=1000.00',
    );
    assert.deepEqual(d.warnings, []);
  });

  test('with the right sign but no sign_type is not valid, and the warning says to send sign_type=MD5', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE) });
    assert.equal(d.valid, false);
    assert.ok(d.warnings.some((w) => /sign_type is missing: send sign_type=MD5/.test(w)), d.warnings.join('\n'));
  });
});

describe('each common mistake is recognised when reproduced', () => {
  const scenarios: Array<{ name: string; code: Cause['code']; params: Record<string, string>; sign: string; key?: string }> = [
    {
      name: 'signed the GBK bytes while declaring utf-8',
      code: 'wrong_charset',
      params: MESSAGE,
      sign: signAs(MESSAGE, { charset: 'gbk' }),
    },
    {
      name: 'URL-encoded the values before signing (encodeURIComponent)',
      code: 'url_encoded_before_signing',
      params: MESSAGE,
      sign: signAs(MESSAGE, { value: (_k, v) => encodeURIComponent(v) }),
    },
    {
      name: 'form-encoded the values before signing (space as +)',
      code: 'url_encoded_before_signing',
      params: MESSAGE,
      sign: signAs(MESSAGE, { value: (_k, v) => new URLSearchParams({ v }).toString().slice(2) }),
    },
    {
      name: 'included sign_type in the signed string',
      code: 'sign_type_signed',
      params: MESSAGE,
      sign: signAs({ ...MESSAGE, sign_type: 'MD5' }, { withSignType: true }),
    },
    {
      name: 'kept parameters with empty values',
      code: 'empty_values_signed',
      params: { ...MESSAGE, body: '', show_url: '' },
      sign: signAs({ ...MESSAGE, body: '', show_url: '' }, { keepEmpty: true }),
    },
    {
      name: 'signed the amount as "1000.0" (a float) but sent "1000.00"',
      code: 'amount_formatting',
      params: MESSAGE,
      sign: signAs(MESSAGE, { value: (k, v) => (k === 'total_fee' ? '1000.0' : v) }),
    },
    {
      name: 'left notify_id out of the signed string',
      code: 'param_left_out',
      params: NOTIFICATION,
      sign: signAs(NOTIFICATION, { omit: ['notify_id'] }),
    },
    {
      name: 'HTML-escaped a value twice in the form template',
      code: 'html_escaped',
      params: { ...MESSAGE, subject: 'Tea &amp; cake' },
      sign: signAs({ ...MESSAGE, subject: 'Tea & cake' }),
    },
  ];

  for (const s of scenarios) {
    test(`${s.name} → ${s.code}`, () => {
      const d = explainJson({ ...s.params, sign: s.sign, sign_type: 'MD5' });
      assert.equal(d.valid, false);
      assert.notEqual(d.expectedSign, s.sign);
      assert.equal(d.causes[0]?.code, s.code, JSON.stringify(d.causes));
      assert.equal(codes(d.causes).includes('wrong_key_or_changed_value'), false);
    });
  }

  test('the wrong-charset cause tells you to sign in the declared charset and to put _input_charset in the URL', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE, { charset: 'gbk' }), sign_type: 'MD5' });
    assert.match(d.causes[0]!.message, /hashed the GBK bytes of the text while the message is UTF-8/);
  });

  test('the reverse also: a GBK message whose sign was made over UTF-8 bytes', () => {
    const gbk = { ...MESSAGE, _input_charset: 'gbk' };
    const d = explainJson({ ...gbk, sign: signAs(gbk, { charset: 'utf-8' }), sign_type: 'MD5' });
    assert.equal(d.charset, 'gbk');
    assert.deepEqual(codes(d.causes), ['wrong_charset']);
  });

  test('an upper-case sign is recognised as the right digest in the wrong case', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE).toUpperCase(), sign_type: 'MD5' });
    assert.equal(d.valid, false);
    assert.deepEqual(codes(d.causes), ['uppercase_sign']);
    assert.match(d.causes[0]!.message, /lowercase hex/);
  });

  test('a configured key with trailing whitespace, where the signer used the clean key → key_whitespace', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE), sign_type: 'MD5' }, `${KEY} \n`);
    assert.deepEqual(codes(d.causes), ['key_whitespace']);
    assert.ok(d.warnings.some((w) => /key has leading or trailing whitespace/.test(w)));
  });

  test('a sign no mistake reproduces (another key) → wrong_key_or_changed_value', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE, { key: 'otherotherotherotherotherotherot' }), sign_type: 'MD5' });
    assert.deepEqual(codes(d.causes), ['wrong_key_or_changed_value']);
  });
});

describe('whitespace the signer kept, each cause once', () => {
  for (const [label, signerKey] of [['a trailing newline', `${KEY}\n`], ['a trailing space', `${KEY} `], ['CR LF', `${KEY}\r\n`], ['a leading space', ` ${KEY}`]] as const) {
    test(`the signer's key has ${label}, the clean key is given → key_whitespace`, () => {
      const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE, { key: signerKey }), sign_type: 'MD5' });
      assert.deepEqual(codes(d.causes), ['key_whitespace'], JSON.stringify(d.causes));
      assert.match(d.causes[0]!.message, new RegExp(`signer's key has ${label === 'CR LF' ? 'a trailing CR LF' : label}`));
    });
  }

  test('the signer signed partner with a trailing space and sent it trimmed → partner_whitespace', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE, { value: (k, v) => (k === 'partner' ? `${v} ` : v) }), sign_type: 'MD5' });
    assert.deepEqual(codes(d.causes), ['partner_whitespace'], JSON.stringify(d.causes));
    assert.match(d.causes[0]!.message, /partner with a trailing space/);
  });

  test('URL-encoding before signing is one cause even when both encodings reproduce the sign', () => {
    const plain = { service: 'create_direct_pay_by_user', partner: PARTNER, out_trade_no: 'a/b:1', subject: '测试', total_fee: '1.00' };
    const d = explainJson({ ...plain, sign: signAs(plain, { value: (_k, v) => encodeURIComponent(v) }), sign_type: 'MD5' });
    assert.deepEqual(codes(d.causes), ['url_encoded_before_signing'], JSON.stringify(d.causes));
    assert.equal(formatDiagnosis(d).split('url_encoded_before_signing').length - 1, 1, formatDiagnosis(d));
  });
});

describe('the three input forms', () => {
  const sign = signAs(MESSAGE);
  const signed = { ...MESSAGE, sign, sign_type: 'MD5' };
  const inputs: Array<[Diagnosis['input'], string | Buffer]> = [
    ['url', `https://mapi.alipay.com/gateway.do?${formBody(signed)}`],
    ['form', formBody(signed)],
    ['json', JSON.stringify(signed)],
    ['form', Buffer.from(`${formBody(signed)}\n`, 'latin1')],
  ];
  for (const [kind, raw] of inputs) {
    test(`${kind}${Buffer.isBuffer(raw) ? ' (raw bytes with a trailing newline)' : ''}: read, charset from _input_charset, valid`, () => {
      const d = explain(raw, KEY);
      diagnoses.push(d);
      assert.equal(d.input, kind);
      assert.equal(d.charset, 'utf-8');
      assert.equal(d.charsetSource, '_input_charset');
      assert.equal(d.valid, true);
      assert.equal(d.expectedSign, sign);
    });
  }

  test('a URL with a #fragment ignores the fragment', () => {
    const d = explain(`https://mapi.alipay.com/gateway.do?${formBody(signed)}#top`, KEY);
    assert.equal(d.valid, true);
  });

  test('a wrong-charset URL is diagnosed the same way as the JSON', () => {
    const bad = { ...MESSAGE, sign: signAs(MESSAGE, { charset: 'gbk' }), sign_type: 'MD5' };
    const d = explain(`https://mapi.alipay.com/gateway.do?${formBody(bad)}`, KEY);
    diagnoses.push(d);
    assert.equal(d.causes[0]?.code, 'wrong_charset');
  });

  test('a GBK form body without _input_charset: the charset is guessed from the bytes, and the warning says it is missing', () => {
    const { _input_charset: _omit, ...noCharset } = MESSAGE;
    const sign = signAs(noCharset, { charset: 'gbk' });
    const body = Object.entries({ ...noCharset, sign, sign_type: 'MD5' })
      .map(([k, v]) => `${k}=${[...iconv.encode(v, 'gbk')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}`)
      .join('&');
    const d = explain(Buffer.from(body, 'latin1'), KEY);
    diagnoses.push(d);
    assert.equal(d.charset, 'gbk');
    assert.equal(d.charsetSource, 'guessed');
    assert.equal(d.valid, true);
    assert.ok(d.warnings.some((w) => /_input_charset is missing/.test(w)), d.warnings.join('\n'));
  });

  test('--charset overrides the declared charset', () => {
    const r = readExplainInput(JSON.stringify(MESSAGE), 'gbk');
    assert.equal(r.charset, 'gbk');
    assert.equal(r.charsetSource, 'option');
  });

  test('empty input, a URL without a query, broken JSON and a missing key are input errors', () => {
    for (const raw of ['', '   \n', 'https://mapi.alipay.com/gateway.do', '{"a":', '{not json}', 'hello world', 'hello', 'sign=abc&sign_type=MD5', 'empty=']) {
      assert.throws(() => explain(raw, KEY), (e: unknown) => e instanceof AlipayError && e.code === 'INVALID_INPUT', raw);
    }
    assert.throws(() => explain(formBody(MESSAGE), ''), (e: unknown) => e instanceof AlipayError && e.code === 'INVALID_INPUT' && e.field === 'key');
  });
});

describe('warnings that apply whether or not the sign matches', () => {
  test('a partner that is an email address', () => {
    const params = { ...MESSAGE, partner: 'shop@example.com' };
    const d = explainJson({ ...params, sign: signAs(params), sign_type: 'MD5' });
    assert.equal(d.valid, true);
    assert.ok(d.warnings.some((w) => /partner is an email address: use the 16-digit partner id/.test(w)), d.warnings.join('\n'));
  });

  test('a missing _input_charset on a gateway request URL', () => {
    const { _input_charset: _omit, ...params } = MESSAGE;
    const d = explain(`https://mapi.alipay.com/gateway.do?${formBody({ ...params, sign: signAs(params), sign_type: 'MD5' })}`, KEY);
    diagnoses.push(d);
    assert.equal(d.charsetSource, 'guessed');
    assert.ok(d.warnings.some((w) => /_input_charset is missing/.test(w)), d.warnings.join('\n'));
  });

  test('an amount that is not two decimals', () => {
    const params = { ...MESSAGE, total_fee: '1000.0' };
    const d = explainJson({ ...params, sign: signAs(params), sign_type: 'MD5' });
    assert.ok(d.warnings.some((w) => /total_fee "1000.0" is not a two-decimal amount \("1000.00"\)/.test(w)), d.warnings.join('\n'));
  });

  test('a sign_type other than MD5', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE), sign_type: 'md5' });
    assert.equal(d.valid, false);
    assert.ok(d.warnings.some((w) => /sign_type "md5" is not "MD5"/.test(w)));
  });
});

describe('formatDiagnosis', () => {
  test('prints the presign, the redacted key, both signs, the result and the causes', () => {
    const d = explainJson({ ...MESSAGE, sign: signAs(MESSAGE, { charset: 'gbk' }), sign_type: 'MD5' });
    const text = formatDiagnosis(d);
    assert.match(text, /^input: +json, charset utf-8 \(from _input_charset\)$/m);
    assert.match(text, /^presign: +_input_charset=utf-8&notify_url=/m);
    assert.match(text, /^hashed: +presign \+ <key, redacted> as utf-8 bytes$/m);
    assert.match(text, new RegExp(`^expected sign: +${d.expectedSign}$`, 'm'));
    assert.match(text, /^result: +MISMATCH$/m);
    assert.match(text, /^ {2}- \[wrong_charset\] /m);
  });

  test('says VALID and UNSIGNED when those apply', () => {
    assert.match(formatDiagnosis(explainJson({ ...MESSAGE, sign: signAs(MESSAGE), sign_type: 'MD5' })), /^result: +VALID$/m);
    assert.match(formatDiagnosis(explainJson(MESSAGE)), /^result: +UNSIGNED$/m);
  });

  test('never contains the key, in any diagnosis made in this file', () => {
    assert.ok(diagnoses.length >= 20, `only ${diagnoses.length} diagnoses collected`);
    for (const d of diagnoses) {
      assert.equal(formatDiagnosis(d).includes('fakefake'), false, formatDiagnosis(d));
      assert.equal(JSON.stringify(d).includes('fakefake'), false);
    }
  });
});
