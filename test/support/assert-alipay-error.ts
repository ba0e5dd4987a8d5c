// Asserts that fn throws an AlipayError with `code` (and, when given, `field`), and returns it for more checks.
import assert from 'node:assert/strict';
import { AlipayError, type AlipayErrorCode } from '../../shared/alipay/errors.ts';

export function assertAlipayError(fn: () => unknown, code: AlipayErrorCode, field?: string): AlipayError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return e instanceof AlipayError && e.code === code && (field === undefined || e.field === field);
  });
  return caught as AlipayError;
}
