// create-payment: storefront JSON -> validated Alipay request -> order stored once -> signed gateway URL and form.
import type { Charset } from '../alipay/charset.ts';
import { AlipayError } from '../alipay/errors.ts';
import { buildGatewayRequest, paymentParams, type GatewayForm } from '../alipay/request.ts';
import { chargeableAmounts, serviceSpec, type ServiceName } from '../alipay/services.ts';
import type { Order } from '../orders/order.ts';
import type { PaymentStore } from './store-port.ts';
import type { MerchantAccount } from '../alipay/account.ts';
import { callerFields, inCallerTerms, toAlipayParams } from './storefront-request.ts';

export interface CreatePaymentDeps {
  store: PaymentStore;
  account: MerchantAccount;
  now: () => string;
}

export interface CreatePaymentAnswer {
  outTradeNo: string;
  gatewayUrl: string;
  form: Pick<GatewayForm, 'action' | 'method' | 'fields'> & { acceptCharset: Charset };
}

/** The same out_trade_no was used for a different payment. */
export class OrderConflictError extends Error {
  override readonly name = 'OrderConflictError';
  constructor(readonly outTradeNo: string, readonly fields: string[]) {
    super(`order ${outTradeNo} already exists with a different ${fields.join(', ')}: use a new outTradeNo for a new payment`);
  }
}

// Parameters that are part of the payment itself; the rest (notify_url, …) come from configuration and may change.
const CONFIG_PARAMS = new Set(['partner', 'notify_url', 'return_url', 'seller_id', 'sign', 'sign_type']);

function answerFor(outTradeNo: string, params: Record<string, string>, deps: CreatePaymentDeps, charset: Charset): CreatePaymentAnswer {
  // A stored map comes back from DynamoDB in no particular order: sort, so a retry answers the very same URL.
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const request = buildGatewayRequest({ params: sorted, key: deps.account.key, charset, gatewayUrl: deps.account.gatewayUrl });
  const { action, method, fields, acceptCharset } = request.form;
  return { outTradeNo, gatewayUrl: request.url, form: { action, method, fields, acceptCharset } };
}

function differences(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => !CONFIG_PARAMS.has(k)));
  return [...names].filter((k) => a[k] !== b[k]).sort();
}

/** Creates the order (or finds the identical one) and answers the signed gateway request. */
export async function createPayment(deps: CreatePaymentDeps, body: Readonly<Record<string, unknown>>): Promise<{ created: boolean; answer: CreatePaymentAnswer }> {
  const input = toAlipayParams(body);
  const charset = input.charset ?? deps.account.charset;
  let p: Record<string, string>;
  try {
    p = paymentParams({
      service: input.service, params: input.params, partner: deps.account.partner, key: deps.account.key, charset,
      notifyUrl: deps.account.notifyUrl, returnUrl: deps.account.returnUrl, sellerId: deps.account.sellerId,
    });
  } catch (err) {
    // Name the fields as the storefront sent them (totalFee, logistics[1].fee), not as Alipay calls them (total_fee).
    throw err instanceof AlipayError ? inCallerTerms(err, body) : err;
  }
  const amounts = chargeableAmounts(p);
  const now = deps.now();
  const order: Order = {
    outTradeNo: p.out_trade_no!,
    service: input.service,
    kind: serviceSpec(input.service).kind,
    subject: p.subject!,
    ...(amounts[0] === undefined ? {} : { amountFen: amounts[0] }),
    acceptedAmountsFen: amounts,
    partner: deps.account.partner,
    ...(p.seller_id ? { sellerId: p.seller_id } : {}),
    ...(p.seller_email ? { sellerEmail: p.seller_email } : {}),
    charset,
    status: 'CREATED',
    version: 1,
    history: [],
    anomalies: [],
    createdAt: now,
    updatedAt: now,
    gatewayParams: p,
  };
  const result = await deps.store.createOrder(order);
  if (result.created) return { created: true, answer: answerFor(order.outTradeNo, p, deps, charset) };

  const existing = result.existing;
  const diff = differences(existing.gatewayParams, p);
  if (diff.length > 0) throw new OrderConflictError(order.outTradeNo, callerFields(diff, body));
  // The same request again: the same answer, signed from what was stored (current URLs and key).
  const again = { ...existing.gatewayParams, partner: deps.account.partner, notify_url: deps.account.notifyUrl, return_url: deps.account.returnUrl };
  return { created: false, answer: answerFor(existing.outTradeNo, again, deps, existing.charset) };
}
