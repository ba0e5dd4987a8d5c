// The storefront's JSON (camelCase names, logistics as a list) as Alipay's business parameters (snake_case).
import { type Charset, parseCharset } from '../alipay/charset.ts';
import { AlipayError } from '../alipay/errors.ts';
import { serviceSpec, type ServiceName } from '../alipay/services.ts';

// Storefront names (camelCase) are Alipay's names (snake_case): outTradeNo -> out_trade_no, logisticsFee1 -> logistics_fee_1.
export const snake = (name: string) => name.replace(/([A-Z])/g, '_$1').replace(/(\d+)$/, '_$1').toLowerCase();
const NOT_FROM_STOREFRONT = new Set(['service', 'partner', 'payment_type', 'notify_url', 'return_url', 'seller_id', 'seller_email', 'seller_account_name', 'sign', 'sign_type', '_input_charset']);
// JSON.parse makes these ordinary keys; anywhere else they reach Object.prototype and vanish or change lookups.
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
/** logisticsType, logisticsFee1, …: the flat form of what `logistics` lists. */
const FLAT_LOGISTICS = /^logistics_(type|fee|payment)(_\d+)?$/;
const OPTION_KEYS = ['type', 'fee', 'payment'] as const;

function refuseReserved(name: string, shownAs: string, field: string): void {
  if (RESERVED.has(name)) {
    throw new AlipayError('UNKNOWN_PARAMETER', `${shownAs} is not a field of a payment request (the name is reserved in JavaScript): remove it`, field);
  }
}

/** One `{type, fee, payment}` option; anything else in it is refused rather than dropped. */
function logisticsOption(option: unknown, i: number): Record<(typeof OPTION_KEYS)[number], unknown> {
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw new AlipayError('INVALID_PARAMETER', `logistics[${i}] must be an object {type, fee, payment}`, 'logistics');
  }
  for (const key of Object.keys(option)) {
    refuseReserved(key, `logistics[${i}].${key}`, 'logistics');
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw new AlipayError('UNKNOWN_PARAMETER', `logistics[${i}].${key} is not part of a logistics option: use type, fee, payment`, 'logistics');
    }
  }
  const o = option as Record<string, unknown>;
  return { type: o.type, fee: o.fee, payment: o.payment };
}

/** Storefront body -> Alipay business parameters (in an object without a prototype). */
export function toAlipayParams(body: Readonly<Record<string, unknown>>): { service: ServiceName; charset?: Charset; params: Record<string, unknown> } {
  const spec = serviceSpec(body.service);
  const params: Record<string, unknown> = Object.create(null);
  let charset: Charset | undefined;
  let flatLogistics: string | undefined;
  for (const [name, value] of Object.entries(body)) {
    refuseReserved(name, name, name);
    if (name === 'service' || value === undefined || value === null) continue;
    if (name === 'charset') {
      charset = parseCharset(value, 'charset');
      continue;
    }
    if (name === 'logistics') {
      if (!Array.isArray(value) || value.length === 0 || value.length > 4) throw new AlipayError('INVALID_PARAMETER', 'logistics must be a list of 1 to 4 {type, fee, payment} options', 'logistics');
      value.forEach((o: unknown, i: number) => {
        const opt = logisticsOption(o, i);
        const suffix = i === 0 ? '' : `_${i}`;
        params[`logistics_type${suffix}`] = opt.type;
        params[`logistics_fee${suffix}`] = opt.fee;
        params[`logistics_payment${suffix}`] = opt.payment;
      });
      continue;
    }
    const alipayName = snake(name);
    refuseReserved(alipayName, name, name);
    if (NOT_FROM_STOREFRONT.has(alipayName)) throw new AlipayError('INVALID_PARAMETER', `${name} is set from configuration, not by the storefront`, name);
    if (FLAT_LOGISTICS.test(alipayName)) flatLogistics ??= name;
    params[alipayName] = value;
  }
  if (flatLogistics !== undefined && body.logistics !== undefined && body.logistics !== null) {
    throw new AlipayError(
      'CONFLICTING_PARAMETERS',
      `logistics and ${flatLogistics} were both given: give the options either as logistics: [{type, fee, payment}, …] or as logisticsType, logisticsFee, logisticsPayment (logisticsType1 …), not both`,
      'logistics',
    );
  }
  return { service: spec.service, ...(charset ? { charset } : {}), params };
}
