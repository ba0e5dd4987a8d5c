// What Alipay's gateway refuses, read from the protocol doc (§2, §5, §6, §7) on its own and not from the product's
// service specs, so a rule the product gets wrong fails end to end. Where the doc is silent the sandbox accepts, as
// Alipay would [inference]; the README lists those choices.
import { fenOf, MAX_FEN, MIN_FEN, yuanOf } from './yuan.ts';

/** The §6 codes the sandbox answers with. */
export type GatewayErrorCode =
  | 'ILLEGAL_CHARSET'
  | 'ILLEGAL_SERVICE'
  | 'ILLEGAL_PARTNER'
  | 'ILLEGAL_SIGN_TYPE'
  | 'ILLEGAL_SIGN'
  | 'ILLEGAL_ARGUMENT'
  | 'TRADE_HAS_SUCCESS'
  | 'TRADE_HAS_CLOSED' // [inference] unconfirmed legacy code
  | 'TRADE_DATA_MATCH_ERROR' // [inference] unconfirmed legacy code (the AOP name)
  | 'TRADE_NOT_EXIST'
  | 'TRADE_STATUS_NOT_AVAILD';

export interface GatewayRefusal {
  readonly code: GatewayErrorCode;
  readonly reason: string;
}

const illegal = (reason: string): GatewayRefusal => ({ code: 'ILLEGAL_ARGUMENT', reason });

/** §7: partner, seller_id and buyer_id. */
export const PARTNER_ID = /^2088\d{12}$/;
/** §7: the MD5 key, case-sensitive. */
export const MD5_KEY = /^[0-9A-Za-z]{32}$/;

export type TradeKind = 'instant' | 'escrow';

/** §2.2–2.4. Escrow takes price and quantity plus logistics; a donation may leave the amount to the donor [inference]. */
export const PAYMENT_SERVICES = {
  create_direct_pay_by_user: { kind: 'instant', title: '即时到账 instant payment', donorChooses: false },
  create_partner_trade_by_buyer: { kind: 'escrow', title: '担保交易 escrow', donorChooses: false },
  trade_create_by_buyer: { kind: 'escrow', title: '标准双接口 escrow (dual)', donorChooses: false },
  create_digital_goods_trade_p: { kind: 'instant', title: '虚拟物品交易 virtual goods', donorChooses: false },
  create_donate_trade_p: { kind: 'instant', title: '捐赠 donation', donorChooses: true },
} as const satisfies Record<string, { kind: TradeKind; title: string; donorChooses: boolean }>;
export type PaymentService = keyof typeof PAYMENT_SERVICES;
export const isPaymentService = (s: string): s is PaymentService => Object.hasOwn(PAYMENT_SERVICES, s);

/** §5: the server-to-server calls the sandbox answers in XML. */
export const SERVER_CALLS = ['single_trade_query', 'send_goods_confirm_by_platform', 'close_trade'] as const;
export type ServerCall = (typeof SERVER_CALLS)[number];
export const isServerCall = (s: string): s is ServerCall => (SERVER_CALLS as readonly string[]).includes(s);

export function serviceRefusal(service: string | undefined): GatewayRefusal | undefined {
  if (service === undefined || service === '') return { code: 'ILLEGAL_SERVICE', reason: 'the request has no service parameter' };
  if (isPaymentService(service) || isServerCall(service)) return undefined;
  return {
    code: 'ILLEGAL_SERVICE',
    reason: `service "${service}" is not one this gateway offers (payment services, notify_verify, ${SERVER_CALLS.join(', ')})`,
  };
}

/** §1: "MD5", upper case; anything else could be a downgrade. */
export function signTypeRefusal(signType: string | undefined): GatewayRefusal | undefined {
  if (signType === 'MD5') return undefined;
  return {
    code: 'ILLEGAL_SIGN_TYPE',
    reason: signType === undefined ? 'the request has no sign_type (expected MD5)' : `sign_type "${signType}" is not accepted: write MD5, upper case`,
  };
}

// ---- single values: a rule returns what the value must be, or undefined when it is fine ----------------------------

type Rule = (value: string) => string | undefined;

const matching = (re: RegExp, what: string): Rule => (v) => (re.test(v) ? undefined : what);
const oneOf = (...values: string[]): Rule => (v) => (values.includes(v) ? undefined : `one of ${values.join(', ')}`);

const PAID_AMOUNT: Rule = (v) => {
  const what = `yuan with at most 2 decimals, from ${yuanOf(MIN_FEN)} to ${yuanOf(MAX_FEN)} (§2.5)`;
  if (!/^\d+(\.\d{1,2})?$/.test(v)) return what;
  const fen = fenOf(v);
  return fen < MIN_FEN || fen > MAX_FEN ? what : undefined;
};

/** §2.1: a full http(s) URL without custom parameters ("不能加?id=123这类自定义参数"). */
const CALLBACK_URL: Rule = (v) => {
  let protocol: string;
  try {
    protocol = new URL(v).protocol;
  } catch {
    return 'a full http(s) URL (§2.1)';
  }
  if (protocol !== 'http:' && protocol !== 'https:') return 'a full http(s) URL (§2.1)';
  return v.includes('?') ? 'a URL without custom parameters: no "?…" (§2.1)' : undefined;
};

/** §2.6: 128 Chinese characters or 256 bytes, read together as: a Chinese character counts 2, an ASCII one 1 [inference]. */
const SUBJECT: Rule = (v) => ([...v].reduce((n, ch) => n + (ch.charCodeAt(0) < 0x80 ? 1 : 2), 0) <= 256
  ? undefined
  : 'at most 128 Chinese characters or 256 ASCII ones (§2.6)');

/** §2.2: 1m–15d in whole m, h or d, or 1c (close at midnight). */
const IT_B_PAY: Rule = (v) => {
  const m = /^([1-9]\d*)([mhd])$/.exec(v);
  const minutes = m ? Number(m[1]) * { m: 1, h: 60, d: 1440 }[m[2] as 'm' | 'h' | 'd'] : 0;
  return v === '1c' || (minutes >= 1 && minutes <= 15 * 1440) ? undefined : 'from 1m to 15d in whole m, h or d (1.5h is 90m), or 1c (§2.2)';
};

const RULES: Readonly<Record<string, Rule>> = {
  payment_type: oneOf('1'),
  out_trade_no: (v) => ([...v].length <= 64 ? undefined : 'at most 64 characters (§2.6)'),
  subject: SUBJECT,
  // The global docs say 400, the older domestic PHP demo 1000 (§2.2): the sandbox takes the larger [inference].
  body: (v) => ([...v].length <= 1000 ? undefined : 'at most 1000 characters (§2.2)'),
  total_fee: PAID_AMOUNT,
  price: PAID_AMOUNT,
  quantity: matching(/^[1-9]\d*$/, 'a whole number, at least 1 (§2.3)'),
  seller_id: matching(PARTNER_ID, '16 digits starting with 2088 (§7)'),
  buyer_id: matching(PARTNER_ID, '16 digits starting with 2088 (§7)'),
  notify_url: CALLBACK_URL,
  // The doc also says return_url must not be localhost; the sandbox runs on 127.0.0.1 with its merchants, so it cannot.
  return_url: (v) => CALLBACK_URL(v) ?? (v.includes('!') ? 'free of special characters such as "!" (§2.1)' : undefined),
  extra_common_param: matching(/^[^=&]*$/, 'free of "=" and "&" (§2.2)'),
  it_b_pay: IT_B_PAY,
  logistics_type: oneOf('POST', 'EXPRESS', 'EMS', 'DIRECT'),
  logistics_fee: matching(/^\d+(\.\d{1,2})?$/, 'yuan with at most 2 decimals (§2.3)'),
  logistics_payment: oneOf('SELLER_PAY', 'BUYER_PAY', 'BUYER_PAY_AFTER_RECEIVE'),
  discount: matching(/^-?\d+(\.\d{1,2})?$/, 'yuan with at most 2 decimals, negative for money off (§2.3)'),
};

const LOGISTICS = ['logistics_type', 'logistics_fee', 'logistics_payment'] as const;
function ruleOf(name: string): Rule | undefined {
  const base = name.replace(/^(logistics_(?:type|fee|payment))_[123]$/, '$1');
  return Object.hasOwn(RULES, base) ? RULES[base] : undefined;
}

/** Why a value (e.g. the amount a donor typed) breaks the rule of its parameter, or undefined. */
export function valueProblem(name: string, value: string): string | undefined {
  const problem = ruleOf(name)?.(value);
  return problem === undefined ? undefined : `${name} ${JSON.stringify(value)} is invalid: it must be ${problem}`;
}

// ---- whole requests ------------------------------------------------------------------------------------------------

/** §2.3: what only escrow takes. An instant service ignores these like any parameter it does not know [inference]. */
const ESCROW_ONLY = /^(logistics_(type|fee|payment)(_[123])?|discount|receive_(name|address|zip|phone|mobile)|buyer_msg)$/;
const AMOUNTS = /^(total_fee|price|logistics_fee(_[123])?|discount)$/;

const given = (p: Readonly<Record<string, string>>, name: string): boolean => Object.hasOwn(p, name) && p[name] !== '';

/**
 * The parameters of a payment request as the trade keeps them: empty values and, for an instant service, escrow-only
 * parameters dropped; amounts in two decimals, as Alipay writes them back (§2.5).
 */
export function paymentParams(params: Readonly<Record<string, string>>): Record<string, string> {
  const escrow = PAYMENT_SERVICES[params.service as PaymentService]?.kind === 'escrow';
  const kept = Object.entries(params).filter(([name, value]) => value !== '' && (escrow || !ESCROW_ONLY.test(name)));
  return Object.fromEntries(kept.map(([name, value]) => [name, AMOUNTS.test(name) && valueProblem(name, value) === undefined ? yuanOf(fenOf(value)) : value]));
}

/** Why the gateway refuses a payment request (text values, sign and sign_type removed), or undefined. */
export function paymentRefusal(request: Readonly<Record<string, string>>): GatewayRefusal | undefined {
  const service = request.service as PaymentService;
  const { kind, donorChooses } = PAYMENT_SERVICES[service];
  const params = paymentParams(request);
  const required = ['_input_charset', 'payment_type', 'out_trade_no', 'subject', ...(kind === 'escrow' ? ['price', 'quantity', ...LOGISTICS] : [])];
  const missing = required.find((name) => !given(params, name));
  if (missing) return illegal(`${missing} is required for ${service}${missing === 'payment_type' ? ': send payment_type=1' : ''}`);
  if (!['seller_id', 'seller_account_name', 'seller_email'].some((name) => given(params, name))) {
    return illegal(`${service} needs the seller: seller_id, seller_account_name or seller_email (§2.2)`);
  }
  for (const [name, value] of Object.entries(request)) {
    if (Object.hasOwn(params, name)) {
      const problem = valueProblem(name, value);
      if (problem) return illegal(problem);
    }
  }
  const [total, price, quantity] = ['total_fee', 'price', 'quantity'].map((name) => given(params, name));
  if (total && (price || quantity)) return illegal('give either total_fee, or price and quantity, not both (§2.2)');
  if (price !== quantity) return illegal(`price and quantity go together: ${price ? 'quantity' : 'price'} is missing (§2.2)`);
  if (!total && !price && !donorChooses) return illegal(`${service} needs an amount: total_fee, or price and quantity (§2.2)`);
  for (const n of [1, 2, 3]) {
    const present = LOGISTICS.filter((name) => given(params, `${name}_${n}`));
    if (present.length > 0 && present.length < LOGISTICS.length) {
      return illegal(`logistics option ${n} needs all of ${LOGISTICS.map((name) => `${name}_${n}`).join(', ')} (§2.3)`);
    }
  }
  if (given(params, 'enable_paymethod') && given(params, 'disable_paymethod')) {
    return illegal('enable_paymethod and disable_paymethod exclude each other: give one (§2.2)');
  }
  return undefined;
}

const TRANSPORT_TYPES = ['POST', 'EXPRESS', 'EMS', 'DIRECT'];

/** Why the gateway refuses a server call (§5), or undefined. */
export function serverCallRefusal(service: ServerCall, params: Readonly<Record<string, string>>): GatewayRefusal | undefined {
  if (!given(params, '_input_charset')) return illegal(`_input_charset is required for ${service}`);
  switch (service) {
    case 'single_trade_query':
      return given(params, 'trade_no') || given(params, 'out_trade_no') ? undefined : illegal('give trade_no or out_trade_no');
    case 'send_goods_confirm_by_platform': {
      if (!given(params, 'trade_no')) return illegal('trade_no is required');
      if (!given(params, 'logistics_name')) return illegal('logistics_name is required');
      const transport = params.transport_type || params.create_transport_type;
      return transport && TRANSPORT_TYPES.includes(transport)
        ? undefined
        : illegal(`transport_type (or create_transport_type) must be one of ${TRANSPORT_TYPES.join(', ')}`);
    }
    case 'close_trade':
      // CHLOEREI names the merchant's order number out_order_no here (§5.3).
      return given(params, 'trade_no') || given(params, 'out_order_no') ? undefined : illegal('give trade_no or out_order_no');
  }
}
