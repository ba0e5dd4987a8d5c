// Money at the protocol edge: yuan strings ("0.01") in and out, integer fen inside. A JS number is never money.
import { AlipayError } from './errors.ts';

/** An amount in fen (1/100 yuan), always a safe integer. */
export type Fen = number & { readonly __unit: 'fen' };

export const MIN_PAYMENT_FEN = 1 as Fen; // 0.01 yuan
export const MAX_PAYMENT_FEN = 10_000_000_000 as Fen; // 100000000.00 yuan

const YUAN = /^(-)?(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?$/;

export interface YuanRule {
  min?: number; // fen, inclusive
  max?: number; // fen, inclusive
  allowNegative?: boolean;
}

/** Fen from an integer count; throws for fractions or unsafe numbers. */
export function fen(value: number): Fen {
  if (!Number.isSafeInteger(value)) throw new AlipayError('INVALID_INPUT', `amount in fen must be a safe integer, got ${value}`);
  return value as Fen;
}

/**
 * Parses a yuan string: digits, optionally "." and one or two digits. No exponent, no spaces, no "+", no "1,000".
 * Ranges are checked in fen. `field` names the parameter in the error.
 */
export function parseYuan(value: unknown, field: string, rule: YuanRule = { min: MIN_PAYMENT_FEN, max: MAX_PAYMENT_FEN }): Fen {
  if (typeof value === 'number') {
    throw new AlipayError(
      'INVALID_PARAMETER',
      `${field} must be a yuan string such as "${Number.isFinite(value) ? value.toFixed(2) : '0.01'}", not a number: floats lose money and sign as "1000.0"`,
      field,
    );
  }
  if (typeof value !== 'string') {
    throw new AlipayError('INVALID_PARAMETER', `${field} must be a yuan string such as "0.01"`, field);
  }
  if (rule === null || typeof rule !== 'object') throw new AlipayError('INVALID_INPUT', 'the yuan rule must be an object', field);
  const m = YUAN.exec(value);
  if (!m || (m[1] && !rule.allowNegative)) {
    throw new AlipayError(
      'INVALID_PARAMETER',
      `${field} "${value}" is not a yuan amount: use digits with at most 2 decimals, like "0.01" or "99.50"`,
      field,
    );
  }
  const cents = (m[3] ?? '').padEnd(2, '0');
  const magnitude = Number(m[2]) * 100 + Number(cents);
  const amount = (m[1] && magnitude !== 0 ? -magnitude : magnitude) as Fen; // "-0.00" is 0, not -0
  if (!Number.isSafeInteger(amount)) throw new AlipayError('INVALID_PARAMETER', `${field} "${value}" is too large`, field);
  if (rule.min !== undefined && amount < rule.min) {
    throw new AlipayError('INVALID_PARAMETER', `${field} "${value}" is below the minimum ${formatYuan(rule.min)}`, field);
  }
  if (rule.max !== undefined && amount > rule.max) {
    throw new AlipayError('INVALID_PARAMETER', `${field} "${value}" is above the maximum ${formatYuan(rule.max)}`, field);
  }
  return amount;
}

/** Fen to the fixed two-decimal yuan string Alipay expects ("10.00", never "10" or "10.0"). */
export function formatYuan(amount: number): string {
  if (!Number.isSafeInteger(amount)) throw new AlipayError('INVALID_INPUT', `amount in fen must be a safe integer, got ${amount}`);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
