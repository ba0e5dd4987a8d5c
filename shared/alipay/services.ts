// One declarative spec per payment service: which parameters it takes, the rule for each, and the checks across them.
import { AlipayError } from './errors.ts';
import { type Charset, encodeText } from './charset.ts';
import { type Fen, formatYuan, parseYuan, MAX_PAYMENT_FEN, MIN_PAYMENT_FEN, type YuanRule } from './amount.ts';
import { validateUrl } from './credentials.ts';
import { OUT_TRADE_NO, OUT_TRADE_NO_RULE } from './identifiers.ts';

export const SERVICE_NAMES = [
  'create_direct_pay_by_user',
  'create_partner_trade_by_buyer',
  'trade_create_by_buyer',
  'create_digital_goods_trade_p',
  'create_donate_trade_p',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** instant: paid means done (TRADE_SUCCESS/FINISHED). escrow: money waits in Alipay until the buyer confirms goods. */
export type TradeKind = 'instant' | 'escrow';

/** How a service is priced. */
export type AmountMode =
  | 'total_fee_or_price_quantity' // exactly one of total_fee, or price+quantity
  | 'price_quantity' // escrow: price+quantity, plus logistics
  | 'buyer_chooses'; // donation: the donor may pick the amount; total_fee (or price+quantity) optional

export interface ServiceSpec {
  readonly service: ServiceName;
  readonly kind: TradeKind;
  readonly title: string;
  readonly amount: AmountMode;
  /** Business parameters the merchant supplies, beyond the common ones (service, partner, charset, urls). */
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

// Parameters every payment service takes. Set from configuration by the request builder, but validated all the same.
const COMMON = ['service', 'partner', '_input_charset', 'payment_type', 'notify_url', 'return_url'] as const;
const SELLER = ['seller_id', 'seller_email', 'seller_account_name'] as const;
const BUYER = ['buyer_id', 'buyer_email', 'buyer_account_name'] as const;
const AMOUNT = ['total_fee', 'price', 'quantity'] as const;
const DESCRIPTION = ['body', 'show_url', 'extra_common_param', 'it_b_pay'] as const;
const ANTI_PHISHING = ['anti_phishing_key', 'exter_invoke_ip'] as const;
const CASHIER = [
  'paymethod', 'defaultbank', 'enable_paymethod', 'disable_paymethod', 'token', 'qr_pay_mode', 'qrcode_width',
  'need_buyer_realnamed', 'hb_fq_param', 'goods_type', 'extend_param',
] as const;
const LOGISTICS = ['logistics_type', 'logistics_fee', 'logistics_payment'] as const;
const LOGISTICS_ALTERNATIVES = [1, 2, 3].flatMap((i) => LOGISTICS.map((p) => `${p}_${i}`));
const CONSIGNEE = ['receive_name', 'receive_address', 'receive_zip', 'receive_phone', 'receive_mobile', 'buyer_msg'] as const;

const DIRECT_OPTIONAL = [...COMMON, ...SELLER, ...BUYER, ...AMOUNT, ...DESCRIPTION, ...ANTI_PHISHING, ...CASHIER];
const ESCROW_OPTIONAL = [...COMMON, ...SELLER, ...BUYER, ...DESCRIPTION, ...ANTI_PHISHING, ...LOGISTICS_ALTERNATIVES, ...CONSIGNEE, 'discount'];

export const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = {
  create_direct_pay_by_user: {
    service: 'create_direct_pay_by_user', kind: 'instant', title: '即时到账 instant payment',
    amount: 'total_fee_or_price_quantity', required: ['out_trade_no', 'subject'], optional: DIRECT_OPTIONAL,
  },
  create_partner_trade_by_buyer: {
    service: 'create_partner_trade_by_buyer', kind: 'escrow', title: '担保交易 escrow',
    amount: 'price_quantity', required: ['out_trade_no', 'subject', 'price', 'quantity', ...LOGISTICS], optional: ESCROW_OPTIONAL,
  },
  trade_create_by_buyer: {
    service: 'trade_create_by_buyer', kind: 'escrow', title: '标准双接口 escrow (dual)',
    amount: 'price_quantity', required: ['out_trade_no', 'subject', 'price', 'quantity', ...LOGISTICS], optional: ESCROW_OPTIONAL,
  },
  create_digital_goods_trade_p: {
    service: 'create_digital_goods_trade_p', kind: 'instant', title: '虚拟物品交易 virtual goods',
    amount: 'total_fee_or_price_quantity', required: ['out_trade_no', 'subject'], optional: DIRECT_OPTIONAL,
  },
  create_donate_trade_p: {
    service: 'create_donate_trade_p', kind: 'instant', title: '捐赠 donation',
    amount: 'buyer_chooses', required: ['out_trade_no', 'subject'], optional: DIRECT_OPTIONAL,
  },
};

// The out_trade_no rule lives with the other identifiers (identifiers.ts): notify and return check it without
// bundling every service's spec. Re-exported here, where create-payment's callers have always found it.
export { isOutTradeNo, OUT_TRADE_NO_RULE } from './identifiers.ts';

export function isServiceName(value: unknown): value is ServiceName {
  return typeof value === 'string' && (SERVICE_NAMES as readonly string[]).includes(value);
}

export function serviceSpec(service: unknown): ServiceSpec {
  if (!isServiceName(service)) {
    throw new AlipayError(
      'UNKNOWN_SERVICE',
      `service ${JSON.stringify(service)} is not supported: use one of ${SERVICE_NAMES.join(', ')} (Alipay answers ILLEGAL_SERVICE)`,
      'service',
    );
  }
  return SERVICES[service];
}

// ---- rules for single parameters -------------------------------------------------------------------------------

/** A rule returns undefined when the value is fine, or what the value must be. */
type Rule = (value: string, charset: Charset) => string | undefined;

const pattern = (re: RegExp, what: string): Rule => (v) => (re.test(v) ? undefined : what);
const oneOf = (values: readonly string[]): Rule => (v) => (values.includes(v) ? undefined : `one of ${values.join(', ')}`);
const maxBytes = (n: number): Rule => (v, charset) =>
  encodeText(v, charset).length <= n ? undefined : `at most ${n} bytes in ${charset} (got ${encodeText(v, charset).length})`;
const nonEmptyText = (n: number): Rule => (v, charset) => (v.trim() === '' ? 'non-empty text' : maxBytes(n)(v, charset));
const amountRule = (rule: YuanRule, what: string): Rule => (v) => {
  try {
    parseYuan(v, 'x', rule);
    return undefined;
  } catch {
    return what;
  }
};
const yuan = (minFen: number): Rule =>
  amountRule({ min: minFen, max: MAX_PAYMENT_FEN }, `a yuan amount from ${formatYuan(minFen)} to ${formatYuan(MAX_PAYMENT_FEN)} with at most 2 decimals, as a string`);
const url = (allowQuery: boolean): Rule => (v) => {
  try {
    validateUrl(v, 'x', { allowQuery });
    return undefined;
  } catch {
    return allowQuery ? 'an absolute http(s) URL' : 'an absolute http(s) URL with no query string or fragment';
  }
};

const PARTNER = pattern(/^2088\d{12}$/, '16 digits starting with 2088');
const EMAIL_OR_MOBILE = pattern(/^([^\s@]+@[^\s@]+\.[^\s@]+|1\d{10})$/, 'an Alipay account email or mobile number');
const LOGISTICS_TYPE = oneOf(['EXPRESS', 'POST', 'EMS']);
const LOGISTICS_PAYMENT = oneOf(['BUYER_PAY', 'SELLER_PAY', 'BUYER_PAY_AFTER_RECEIVE']);
const FREE_TEXT = maxBytes(1000);

/** it_b_pay: 1m–15d in m/h/d units without decimals, or 1c (close at midnight). */
const IT_B_PAY: Rule = (v) => {
  const m = /^([1-9]\d*)([mhd])$/.exec(v);
  const minutes = m ? Number(m[1]) * { m: 1, h: 60, d: 1440 }[m[2] as 'm' | 'h' | 'd'] : NaN;
  if (v === '1c' || (minutes >= 1 && minutes <= 15 * 1440)) return undefined;
  return 'a timeout from 1m to 15d: a whole number with unit m, h or d (1.5h is written 90m), or 1c';
};

const RULES: Readonly<Record<string, Rule>> = {
  service: oneOf(SERVICE_NAMES),
  partner: PARTNER,
  _input_charset: oneOf(['utf-8', 'gbk']),
  payment_type: oneOf(['1']),
  notify_url: url(false),
  return_url: url(false),
  show_url: url(true),
  out_trade_no: pattern(OUT_TRADE_NO, OUT_TRADE_NO_RULE),
  subject: nonEmptyText(256),
  body: maxBytes(400),
  total_fee: yuan(MIN_PAYMENT_FEN),
  price: yuan(MIN_PAYMENT_FEN),
  quantity: pattern(/^[1-9]\d{0,8}$/, 'a whole number from 1 to 999999999'),
  seller_id: PARTNER,
  seller_email: EMAIL_OR_MOBILE,
  seller_account_name: nonEmptyText(100),
  buyer_id: PARTNER,
  buyer_email: EMAIL_OR_MOBILE,
  buyer_account_name: nonEmptyText(100),
  extra_common_param: maxBytes(400), // no "=" either: it is echoed back (see ECHOED_TEXT)
  it_b_pay: IT_B_PAY,
  anti_phishing_key: pattern(/^[0-9A-Za-z]{1,64}$/, 'the encrypt_key from query_timestamp'),
  exter_invoke_ip: pattern(/^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]{2,39})$/, "the buyer's public IPv4 or IPv6 address"),
  paymethod: oneOf(['directPay', 'creditPay', 'bankPay']),
  defaultbank: pattern(/^[A-Za-z0-9_-]{1,32}$/, 'a bank code'),
  enable_paymethod: pattern(/^[A-Za-z]+(\^[A-Za-z]+)*$/, 'channel names joined by ^, e.g. directPay^bankPay'),
  disable_paymethod: pattern(/^[A-Za-z]+(\^[A-Za-z]+)*$/, 'channel names joined by ^, e.g. creditCard^cash'),
  token: nonEmptyText(128),
  qr_pay_mode: oneOf(['0', '1', '2', '3', '4']),
  qrcode_width: pattern(/^[1-9]\d{0,3}$/, 'a width in pixels'),
  need_buyer_realnamed: oneOf(['T', 'F']),
  hb_fq_param: FREE_TEXT,
  goods_type: oneOf(['0', '1']),
  extend_param: FREE_TEXT,
  logistics_type: LOGISTICS_TYPE,
  logistics_fee: yuan(0),
  logistics_payment: LOGISTICS_PAYMENT,
  ...Object.fromEntries(
    [1, 2, 3].flatMap((i) => [
      [`logistics_type_${i}`, LOGISTICS_TYPE],
      [`logistics_fee_${i}`, yuan(0)],
      [`logistics_payment_${i}`, LOGISTICS_PAYMENT],
    ]),
  ),
  receive_name: maxBytes(128),
  receive_address: maxBytes(512),
  receive_zip: pattern(/^\d{6}$/, 'a 6-digit postcode'),
  receive_phone: pattern(/^[0-9+\-() ]{5,30}$/, 'a phone number'),
  receive_mobile: pattern(/^1\d{10}$/, 'an 11-digit mobile number'),
  buyer_msg: maxBytes(400),
  discount: amountRule({ allowNegative: true }, 'a yuan amount with at most 2 decimals (negative for a discount)'),
};

// No value may carry a control character (tab, CR and LF included: no subject, address or URL needs one, and they
// break log lines, headers and pages), nor the line/paragraph separators, nor the bidirectional marks, embeddings,
// overrides and isolates that can make the text the buyer reads on Alipay's cashier differ from what it says.
const UNSAFE_CHARACTER = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;
const CHARACTER_NAMES: Readonly<Record<number, string>> = { 0x00: 'NUL', 0x09: 'tab', 0x0a: 'line feed', 0x0d: 'carriage return', 0x7f: 'DEL' };

function characterKind(code: number): string {
  if (CHARACTER_NAMES[code]) return CHARACTER_NAMES[code];
  if (code < 0xa0) return 'a control character';
  if (code === 0x2028 || code === 0x2029) return 'a line or paragraph separator';
  return 'a bidirectional formatting character';
}

/** Why `value` holds a character no parameter may carry, or undefined. */
function unsafeCharacterProblem(name: string, value: string): string | undefined {
  const m = UNSAFE_CHARACTER.exec(value);
  if (!m) return undefined;
  const code = m[0].charCodeAt(0);
  return `${name} contains U+${code.toString(16).toUpperCase().padStart(4, '0')} (${characterKind(code)}) at character ${m.index}: ` +
    'control characters (tab, CR and LF included) and bidirectional formatting characters are refused in every parameter; remove it';
}

// The MD5 presign joins raw values with "&" and "=": a value holding "&k=v" reads as more parameters to anyone who
// re-parses a signed message, and Alipay echoes free text back in the notifications it signs.
/** Free text Alipay echoes back in notifications and returns: "=" is refused there as well as "&". */
const ECHOED_TEXT = new Set(['subject', 'body', 'extra_common_param', 'receive_name', 'receive_address', 'buyer_msg']);
const URL_PARAMS = new Set(['notify_url', 'return_url', 'show_url']);

/** Why `value` could be re-split into other parameters of the signed message, or undefined. */
function resplitProblem(name: string, value: string): string | undefined {
  const echoed = ECHOED_TEXT.has(name);
  const bad = value.includes('&') ? '&' : echoed && value.includes('=') ? '=' : undefined;
  if (bad === undefined) return undefined;
  const instead = URL_PARAMS.has(name)
    ? 'use a URL with at most one query parameter, or a short link'
    : bad === '&' ? "use ＆ or 'and'" : "use ＝ or reword it";
  return `${name} contains "${bad}", so it could be re-split into other parameters of the signed message ` +
    `(Alipay signs the raw values joined by "&" and "="${echoed ? ` and echoes ${name} back in its notifications` : ''}): ${instead}`;
}

const AMOUNT_PARAMS = new Set(['total_fee', 'price', 'logistics_fee', 'logistics_fee_1', 'logistics_fee_2', 'logistics_fee_3', 'discount']);

function closest(name: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return candidates.find((c) => norm(c) === norm(name));
}

// ---- the whole request ------------------------------------------------------------------------------------------

const has = (p: Readonly<Record<string, string>>, k: string) => p[k] !== undefined && p[k] !== '';

function fail(code: 'MISSING_PARAMETER' | 'CONFLICTING_PARAMETERS' | 'INVALID_PARAMETER', field: string, message: string): never {
  throw new AlipayError(code, message, field);
}

/**
 * Validates the parameters of a payment request for `params.service` and returns them normalised
 * (amounts as fixed two-decimal strings). Every violation throws an AlipayError naming the parameter and the rule.
 */
export function validatePaymentParams(params: Readonly<Record<string, unknown>>, charset: Charset): Record<string, string> {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new AlipayError('INVALID_INPUT', 'payment parameters must be an object of strings');
  }
  const spec = serviceSpec(params.service);
  const allowed = new Set<string>([...spec.required, ...spec.optional]);
  const out: Record<string, string> = {};
  // Checked before the unknown-parameter rule, which would otherwise hide this more useful message.
  if (spec.amount === 'price_quantity' && params.total_fee !== undefined && params.total_fee !== '') {
    fail('CONFLICTING_PARAMETERS', 'total_fee', `${spec.service} is priced by price and quantity (plus logistics_fee), not total_fee`);
  }

  for (const [name, raw] of Object.entries(params)) {
    if (raw === undefined) continue;
    if (!allowed.has(name)) {
      const hint = closest(name, [...allowed]);
      // A name that is empty or holds blanks is quoted, or the message would lose it (" is not a parameter …").
      const shown = /^[\x21-\x7e]+$/.test(name) ? name : JSON.stringify(name);
      throw new AlipayError('UNKNOWN_PARAMETER', `${shown} is not a parameter of ${spec.service}${hint ? `: did you mean ${hint}?` : ''}`, name);
    }
    if (typeof raw !== 'string') {
      const hint = typeof raw === 'number' && AMOUNT_PARAMS.has(name) ? ` such as "${raw.toFixed(2)}": floats lose money` : '';
      fail('INVALID_PARAMETER', name, `${name} must be a string${hint}`);
    }
    if (raw === '') continue; // empty values are not sent (and not signed)
    const unsafe = unsafeCharacterProblem(name, raw);
    if (unsafe !== undefined) fail('INVALID_PARAMETER', name, unsafe);
    encodeText(raw, charset, name); // text the charset cannot hold is refused here, with the parameter named
    const resplit = resplitProblem(name, raw);
    if (resplit !== undefined) fail('INVALID_PARAMETER', name, resplit);
    const problem = RULES[name]?.(raw, charset);
    if (problem !== undefined) fail('INVALID_PARAMETER', name, `${name} ${JSON.stringify(raw)} is invalid: must be ${problem}`);
    out[name] = AMOUNT_PARAMS.has(name) ? formatYuan(parseYuan(raw, name, { allowNegative: name === 'discount' })) : raw;
  }
  if (out._input_charset !== undefined && out._input_charset !== charset) {
    fail('CONFLICTING_PARAMETERS', '_input_charset', `_input_charset "${out._input_charset}" differs from the charset the request is encoded in ("${charset}")`);
  }

  for (const name of spec.required) {
    if (!has(out, name)) fail('MISSING_PARAMETER', name, `${name} is required for ${spec.service}`);
  }
  if (!SELLER.some((s) => has(out, s))) {
    fail('MISSING_PARAMETER', 'seller_id', `${spec.service} needs the seller: seller_id (usually your partner id), seller_email or seller_account_name`);
  }
  checkAmount(spec, out);
  if (has(out, 'enable_paymethod') && has(out, 'disable_paymethod')) {
    fail('CONFLICTING_PARAMETERS', 'disable_paymethod', 'enable_paymethod and disable_paymethod exclude each other: give one');
  }
  if (has(out, 'defaultbank') && out.paymethod !== 'bankPay') {
    fail('CONFLICTING_PARAMETERS', 'defaultbank', 'defaultbank only applies with paymethod=bankPay');
  }
  if (has(out, 'qrcode_width') && out.qr_pay_mode !== '4') {
    fail('CONFLICTING_PARAMETERS', 'qrcode_width', 'qrcode_width only applies with qr_pay_mode=4');
  }
  if (spec.kind === 'escrow') checkLogisticsAlternatives(out);
  payableTotals(out); // every total the buyer may be charged is within Alipay's range, or this names the parameter at fault
  return out;
}

function checkAmount(spec: ServiceSpec, p: Readonly<Record<string, string>>): void {
  const total = has(p, 'total_fee');
  const price = has(p, 'price');
  const quantity = has(p, 'quantity');
  if (spec.amount === 'price_quantity') return; // price and quantity are in `required`; total_fee was refused earlier
  if (total && (price || quantity)) {
    fail('CONFLICTING_PARAMETERS', 'total_fee', 'give either total_fee, or price and quantity, not both (Alipay refuses the mix)');
  }
  if (price !== quantity) {
    const missing = price ? 'quantity' : 'price';
    fail('MISSING_PARAMETER', missing, `price and quantity go together: ${missing} is missing`);
  }
  if (!total && !price && spec.amount !== 'buyer_chooses') {
    fail('MISSING_PARAMETER', 'total_fee', `${spec.service} needs an amount: total_fee, or price and quantity`);
  }
}

function checkLogisticsAlternatives(p: Readonly<Record<string, string>>): void {
  let previous = true;
  for (const i of [1, 2, 3]) {
    const present = LOGISTICS.filter((name) => has(p, `${name}_${i}`));
    if (present.length === 0) {
      previous = false;
      continue;
    }
    const missing = LOGISTICS.find((name) => !has(p, `${name}_${i}`));
    if (missing) fail('MISSING_PARAMETER', `${missing}_${i}`, `logistics alternative ${i} needs logistics_type_${i}, logistics_fee_${i} and logistics_payment_${i}: ${missing}_${i} is missing`);
    if (!previous) fail('INVALID_PARAMETER', `logistics_type_${i}`, `logistics alternative ${i} is given but ${i - 1} is not: number them from 1`);
    const types = [p.logistics_type, ...[1, 2, 3].slice(0, i - 1).map((j) => p[`logistics_type_${j}`])];
    if (types.includes(p[`logistics_type_${i}`])) {
      fail('CONFLICTING_PARAMETERS', `logistics_type_${i}`, `logistics_type_${i} ${p[`logistics_type_${i}`]} repeats another logistics option`);
    }
  }
}

/**
 * What the buyer may be charged, in fen, for a validated request: one amount, several (escrow with
 * logistics alternatives: the buyer picks one), or none (a donation where the donor picks).
 * Escrow: price × quantity, plus the logistics fee only when the buyer pays it through Alipay (BUYER_PAY; with
 * SELLER_PAY the seller bears it and with BUYER_PAY_AFTER_RECEIVE the buyer pays the carrier on delivery), plus
 * `discount` (negative takes money off, positive is added as given). [inference, see design.md]
 */
export function chargeableAmounts(params: Readonly<Record<string, string>>): Fen[] {
  return [...new Set(payableTotals(params))];
}

const LOGISTICS_OPTIONS = ['', '_1', '_2', '_3'] as const;

/** price × quantity in fen, refused above the maximum; multiplied as BigInt, so it never leaves the safe-integer range. */
function goodsTotal(params: Readonly<Record<string, string>>): Fen {
  const total = BigInt(parseYuan(params.price, 'price')) * BigInt(params.quantity!);
  if (total <= BigInt(MAX_PAYMENT_FEN)) return Number(total) as Fen;
  return fail(
    'INVALID_PARAMETER', 'quantity',
    `quantity ${params.quantity} at price ${params.price} comes to more than ${formatYuan(MAX_PAYMENT_FEN)}, Alipay's maximum: ` +
      `the total price × quantity (+ logistics fee, discount) must be at most ${formatYuan(MAX_PAYMENT_FEN)}; lower the quantity or split the order`,
  );
}

/** Each total the buyer may be charged; throws INVALID_PARAMETER, naming the parameter at fault, for one outside [0.01, 100000000.00]. */
function payableTotals(params: Readonly<Record<string, string>>): Fen[] {
  const spec = serviceSpec(params.service);
  if (has(params, 'total_fee')) return [parseYuan(params.total_fee, 'total_fee')];
  if (!has(params, 'price')) return [];
  const goods = goodsTotal(params);
  if (spec.kind !== 'escrow') return [goods];
  const discount = has(params, 'discount') ? parseYuan(params.discount, 'discount', { allowNegative: true }) : 0;
  return LOGISTICS_OPTIONS.filter((s) => has(params, `logistics_type${s}`)).map((s) => {
    const feeField = `logistics_fee${s}`;
    const fee = params[`logistics_payment${s}`] === 'BUYER_PAY' ? parseYuan(params[feeField], feeField, { min: 0 }) : 0;
    const total = goods + fee + discount;
    if (total >= MIN_PAYMENT_FEN && total <= MAX_PAYMENT_FEN) return total as Fen;
    const low = total < MIN_PAYMENT_FEN;
    // Price and fee are each within range: below the minimum only a discount can take it; above, a positive discount or the fee.
    const field = low || (discount > 0 && goods + fee <= MAX_PAYMENT_FEN) ? 'discount' : feeField;
    const sum = `price × quantity ${formatYuan(goods)} + logistics fee ${formatYuan(fee)} (${params[`logistics_payment${s}`]}) + discount ${formatYuan(discount)}`;
    return fail(
      'INVALID_PARAMETER', field,
      `${field} ${params[field]}: with logistics option ${params[`logistics_type${s}`]} the total ${formatYuan(total)} (${sum}) is ` +
        (low
          ? `below the minimum ${formatYuan(MIN_PAYMENT_FEN)}: the discount must leave at least ${formatYuan(MIN_PAYMENT_FEN)} to pay`
          : `above the maximum ${formatYuan(MAX_PAYMENT_FEN)}: the total price × quantity (+ logistics fee, discount) must be at most ${formatYuan(MAX_PAYMENT_FEN)}`),
    );
  });
}
