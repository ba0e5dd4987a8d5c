// The storefront's JSON (camelCase names, logistics as a list) as Alipay's business parameters (snake_case).
import { type Charset, parseCharset } from '../alipay/charset.ts';
import { AlipayError } from '../alipay/errors.ts';
import { SERVICE_NAMES, SERVICES, serviceSpec, type ServiceName } from '../alipay/services.ts';
import { closestName, refuseUnknownFields } from './field-names.ts';

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

/** Alipay's name as the storefront writes it: out_trade_no -> outTradeNo, logistics_fee_1 -> logisticsFee1. */
export const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The storefront names a service takes: its Alipay parameters in camelCase, less those set from configuration. */
export function storefrontNames(service: ServiceName): string[] {
  const spec = SERVICES[service];
  const names = [...spec.required, ...spec.optional].filter((n) => !NOT_FROM_STOREFRONT.has(n)).map(camel);
  return ['service', 'charset', ...(spec.kind === 'escrow' ? ['logistics'] : []), ...names];
}
const ALL_NAMES = [...new Set(SERVICE_NAMES.flatMap(storefrontNames))];
const CONFIG_NAMES = new Set([...NOT_FROM_STOREFRONT].filter((n) => n !== '_input_charset' && n !== 'service').map(camel));
const ALIASES: Readonly<Record<string, string>> = { _input_charset: 'did you mean charset?', inputCharset: 'did you mean charset?', input_charset: 'did you mean charset?' };

/** For a name another service takes: which ones. */
function otherServices(name: string, service: ServiceName): string | undefined {
  if (!ALL_NAMES.includes(name)) return undefined;
  const takers = SERVICE_NAMES.filter((s) => s !== service && storefrontNames(s).includes(name));
  return `it is a field of ${takers.join(', ')}`;
}

/** The service the body asks for, or a 400 that says what to send. */
function requestedService(body: Readonly<Record<string, unknown>>): ServiceName {
  if (body.service === undefined || body.service === null) {
    throw new AlipayError('MISSING_PARAMETER', `service is required; one of ${SERVICE_NAMES.join(', ')}`, 'service');
  }
  return serviceSpec(body.service).service;
}

/** Storefront body -> Alipay business parameters (in an object without a prototype). Only documented names pass. */
export function toAlipayParams(body: Readonly<Record<string, unknown>>): { service: ServiceName; charset?: Charset; params: Record<string, unknown> } {
  const service = requestedService(body);
  for (const name of Object.keys(body)) {
    refuseReserved(name, name, name);
    if (CONFIG_NAMES.has(name)) throw new AlipayError('INVALID_PARAMETER', `${name} is set from configuration, not by the storefront`, name);
  }
  refuseUnknownFields(body, storefrontNames(service), `a payment request for ${service}`, {
    note: (name) => ALIASES[name] ?? (closestName(name, storefrontNames(service)) ? undefined : otherServices(name, service)),
    tail: ': use the documented camelCase names',
  });
  const params: Record<string, unknown> = Object.create(null);
  let charset: Charset | undefined;
  let flatLogistics: string | undefined;
  for (const [name, value] of Object.entries(body)) {
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
  return { service, ...(charset ? { charset } : {}), params };
}

// ---- errors in the caller's names ------------------------------------------------------------------------------

const ALIPAY_NAMES = [...new Set(SERVICE_NAMES.flatMap((s) => [...SERVICES[s].required, ...SERVICES[s].optional]))].sort((a, b) => b.length - a.length);
const LOGISTICS_NAME = /^logistics_(type|fee|payment)(?:_(\d))?$/;

/** How the caller wrote (or would write) Alipay's parameter `name`: outTradeNo, charset, logistics[1].fee, logistics. */
function callerName(name: string, body: Readonly<Record<string, unknown>>): { field: string; inText: string } {
  if (name === '_input_charset') return { field: 'charset', inText: 'charset' };
  const m = LOGISTICS_NAME.exec(name);
  if (m) {
    if (Array.isArray(body.logistics)) return { field: 'logistics', inText: `logistics[${m[2] ?? 0}].${m[1]}` };
    const flat = Object.keys(body).some((k) => FLAT_LOGISTICS.test(snake(k)));
    if (!flat) return { field: 'logistics', inText: 'logistics' };
  }
  return { field: camel(name), inText: camel(name) };
}

/** The storefront names for Alipay's parameter names (deduplicated): for a conflict's list of fields. */
export const callerFields = (names: readonly string[], body: Readonly<Record<string, unknown>>): string[] => [...new Set(names.map((n) => callerName(n, body).field))];

/** An error about Alipay's parameters, told in the names the storefront sent: its field and every name in its message. */
export function inCallerTerms(err: AlipayError, body: Readonly<Record<string, unknown>>): AlipayError {
  let message = err.message;
  for (const name of ALIPAY_NAMES) {
    if (!message.includes(name)) continue;
    message = message.replace(new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`, 'g'), callerName(name, body).inText);
  }
  const field = err.field === undefined ? undefined : ALIPAY_NAMES.includes(err.field) ? callerName(err.field, body).field : err.field;
  return new AlipayError(err.code, message, field);
}
