// Responses out, and the one mapping from errors to status codes. 5xx never echo the error to the caller.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isAlipayError } from '../alipay/errors.ts';
import { HttpError } from './errors.ts';
import { PaymentError, type PaymentErrorCode } from '../payments/errors.ts';

const PAYMENT_STATUS: Readonly<Record<PaymentErrorCode, number>> = {
  ORDER_NOT_FOUND: 404,
  NOT_CLOSABLE: 409,
  NOT_SHIPPABLE: 409,
  ALREADY_SHIPPED: 409,
  NOT_REFUNDABLE: 409,
  EXCEEDS_REFUNDABLE: 409,
  REQUEST_ID_REUSED: 409,
  ALIPAY_REFUSED: 502,
};
import type { Logger } from '../log.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2;

export const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

export const text = (statusCode: number, body: string): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'text/plain' },
  body,
});

export const html = (statusCode: number, body: string): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body,
});

export const redirect = (location: string): HttpResult => ({ statusCode: 302, headers: { location, 'cache-control': 'no-store' }, body: '' });

/** Maps an error to a JSON error response: {error: {code, message, field?}}. */
export function errorResponse(err: unknown, log: Logger, requestId: string): HttpResult {
  if (err instanceof HttpError) {
    return json(err.status, { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ? { details: err.details } : {}) } });
  }
  if (isAlipayError(err)) return json(400, { error: err.toJSON() });
  if (err instanceof PaymentError) {
    return json(PAYMENT_STATUS[err.code], { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ? { details: err.details } : {}) } });
  }
  log.error('unhandled error', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), stack: err instanceof Error ? err.stack : undefined });
  const transient = (err as { transient?: boolean })?.transient === true;
  return json(transient ? 503 : 500, {
    error: { code: transient ? 'UNAVAILABLE' : 'INTERNAL', message: `${transient ? 'a dependency is unavailable, retry shortly' : 'internal error'}; request id ${requestId}` },
  });
}
