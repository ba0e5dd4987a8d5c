// Each route called through its real Lambda entry point, with the event API Gateway would send.
import { handler as createPaymentHandler } from '../../functions/create-payment.ts';
import { handler as notifyHandler } from '../../functions/notify.ts';
import { handler as orderStatusHandler } from '../../functions/order-status.ts';
import { handler as returnHandler } from '../../functions/return.ts';
import { handler as closeHandler } from '../../functions/close-payment.ts';
import { handler as shipHandler } from '../../functions/ship-payment.ts';
import { handler as refundHandler } from '../../functions/refund-payment.ts';
import type { SignedMessage } from './alipay-messages.ts';
import { STOREFRONT_TOKEN } from './app-env.ts';
import { type HttpAnswer, type HttpEventInput, httpEvent, readResult } from './events.ts';
import { apiContract } from './openapi-contract.ts';

type Handler = (event: ReturnType<typeof httpEvent>) => Promise<Parameters<typeof readResult>[0]>;

/**
 * The handler's answer to the event API Gateway would build from `input`, after checking the exchange against the
 * API document (infra/api/openapi.json): every test that goes through here enforces the contract.
 */
export async function callChecked(handler: Handler, input: HttpEventInput): Promise<HttpAnswer> {
  const answer = readResult(await handler(httpEvent(input)));
  const requestHeaders = Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v]));
  apiContract().check({
    method: input.method ?? 'GET', path: input.path, requestHeaders,
    ...(input.body === undefined ? {} : { requestBody: input.body }), status: answer.status, headers: answer.headers, body: answer.body,
  });
  return answer;
}

/** `token: null` sends no Authorization header. */
type Auth = { token?: string | null };
const authHeader = ({ token = STOREFRONT_TOKEN }: Auth): Record<string, string> => (token === null ? {} : { Authorization: `Bearer ${token}` });

export async function postPayment(body: unknown, opts: Auth & { base64?: boolean } = {}): Promise<HttpAnswer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return callChecked(createPaymentHandler, {
    method: 'POST', path: '/payments', routeKey: 'POST /payments',
    headers: { 'Content-Type': 'application/json', ...authHeader(opts) },
    body: text, base64: opts.base64 ?? false,
  });
}

export async function getPayment(outTradeNo: string, opts: Auth = {}): Promise<HttpAnswer> {
  return callChecked(orderStatusHandler, {
    method: 'GET', path: `/payments/${encodeURIComponent(outTradeNo)}`, routeKey: 'GET /payments/{outTradeNo}',
    headers: authHeader(opts), pathParameters: { outTradeNo },
  });
}

/** Alipay's POST to notify_url. Form bodies arrive base64-encoded from API Gateway unless `base64: false`. */
export async function postNotify(message: SignedMessage | Buffer | string, opts: { base64?: boolean; charset?: string } = {}): Promise<HttpAnswer> {
  const body = Buffer.isBuffer(message) ? message : typeof message === 'string' ? Buffer.from(message, 'latin1') : message.bytes;
  return callChecked(notifyHandler, {
    method: 'POST', path: '/alipay/notify', routeKey: 'POST /alipay/notify',
    headers: { 'Content-Type': `application/x-www-form-urlencoded; charset=${opts.charset ?? 'utf-8'}`, 'User-Agent': 'Mozilla/4.0' },
    body, base64: opts.base64 ?? true,
  });
}

/** The buyer's browser arriving at return_url with Alipay's query string. */
export async function getReturn(message: SignedMessage | string): Promise<HttpAnswer> {
  return callChecked(returnHandler, {
    method: 'GET', path: '/alipay/return', routeKey: 'GET /alipay/return',
    rawQueryString: typeof message === 'string' ? message : message.encoded,
    headers: { Accept: 'text/html', 'User-Agent': 'Mozilla/5.0 (iPhone)' },
  });
}

/** POST /payments/{outTradeNo}/<action> with a JSON body (close, ship, refunds). */
async function postOperation(action: 'close' | 'ship' | 'refunds', outTradeNo: string, body: unknown, opts: Auth): Promise<HttpAnswer> {
  const handler = { close: closeHandler, ship: shipHandler, refunds: refundHandler }[action];
  const path = `/payments/${encodeURIComponent(outTradeNo)}/${action}`;
  return callChecked(handler, {
    method: 'POST', path, routeKey: `POST /payments/{outTradeNo}/${action}`,
    headers: { 'Content-Type': 'application/json', ...authHeader(opts) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }), pathParameters: { outTradeNo },
  });
}

/** Close takes no body; `body` sends one anyway (a string as it is, anything else as JSON). */
export const postClose = (outTradeNo: string, opts: Auth & { body?: unknown } = {}) => postOperation('close', outTradeNo, opts.body, opts);
export const postShip = (outTradeNo: string, body: unknown, opts: Auth = {}) => postOperation('ship', outTradeNo, body, opts);
export const postRefund = (outTradeNo: string, body: unknown, opts: Auth = {}) => postOperation('refunds', outTradeNo, body, opts);
