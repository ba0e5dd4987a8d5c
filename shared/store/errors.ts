// Which DynamoDB failures may pass on their own (answer `fail`, let Alipay retry) and which are bugs to surface as they are.
import { StoreUnavailableError } from '../payments/store-port.ts';

const TRANSIENT_NAMES = new Set([
  'TransactionConflictException',
  'TransactionInProgressException',
  'ReplicatedWriteConflictException',
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError', // the request's deadline passed
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export const errorName = (err: unknown): string | undefined => {
  const name = (err as SdkErrorShape | null | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
};

export function isTransient(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  return TRANSIENT_NAMES.has(errorName(err) ?? '') ||
    (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
    e.$fault === 'server' ||
    (typeof status === 'number' && status >= 500);
}

/** What to throw for a failed call: StoreUnavailableError when transient, otherwise the error untouched. */
export function storeError(err: unknown, operation: string): unknown {
  if (err instanceof StoreUnavailableError || !isTransient(err)) return err;
  const why = errorName(err) ?? 'error';
  const message = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`DynamoDB ${operation} failed with ${why} (${message}); this may pass, try again`, err);
}

/**
 * Reason codes of a TransactionCanceledException, one per item in request order, or undefined for any other error.
 * (lib-dynamodb leaves the reasons' `Item` in AttributeValue form; we only need the codes.)
 */
export function cancellationCodes(err: unknown): string[] | undefined {
  if (errorName(err) !== 'TransactionCanceledException') return undefined;
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}
