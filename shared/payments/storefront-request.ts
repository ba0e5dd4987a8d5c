// The storefront's JSON (camelCase names, logistics as a list) as Alipay's business parameters (snake_case).
import { type Charset, parseCharset } from '../alipay/charset.ts';
import { AlipayError } from '../alipay/errors.ts';
import { serviceSpec, type ServiceName } from '../alipay/services.ts';

// Storefront names (camelCase) are Alipay's names (snake_case): outTradeNo -> out_trade_no, logisticsFee1 -> logistics_fee_1.
export const snake = (name: string) => name.replace(/([A-Z])/g, '_$1').replace(/(\d+)$/, '_$1').toLowerCase();
const NOT_FROM_STOREFRONT = new Set(['service', 'partner', 'payment_type', 'notify_url', 'return_url', 'seller_id', 'seller_email', 'seller_account_name', 'sign', 'sign_type', '_input_charset']);

/** Storefront body -> Alipay business parameters. */
export function toAlipayParams(body: Readonly<Record<string, unknown>>): { service: ServiceName; charset?: Charset; params: Record<string, unknown> } {
  const spec = serviceSpec(body.service);
  const params: Record<string, unknown> = {};
  let charset: Charset | undefined;
  for (const [name, value] of Object.entries(body)) {
    if (name === 'service' || value === undefined || value === null) continue;
    if (name === 'charset') {
      charset = parseCharset(value, 'charset');
      continue;
    }
    if (name === 'logistics') {
      if (!Array.isArray(value) || value.length === 0 || value.length > 4) throw new AlipayError('INVALID_PARAMETER', 'logistics must be a list of 1 to 4 {type, fee, payment} options', 'logistics');
      value.forEach((o: unknown, i: number) => {
        const opt = (o ?? {}) as Record<string, unknown>;
        const suffix = i === 0 ? '' : `_${i}`;
        params[`logistics_type${suffix}`] = opt.type;
        params[`logistics_fee${suffix}`] = opt.fee;
        params[`logistics_payment${suffix}`] = opt.payment;
      });
      continue;
    }
    const alipayName = snake(name);
    if (NOT_FROM_STOREFRONT.has(alipayName)) throw new AlipayError('INVALID_PARAMETER', `${name} is set from configuration, not by the storefront`, name);
    params[alipayName] = value;
  }
  return { service: spec.service, ...(charset ? { charset } : {}), params };
}
