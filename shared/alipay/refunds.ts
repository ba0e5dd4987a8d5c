// Refunds at the protocol edge (protocol doc §5.4): batch numbers, detail_data out, result_details in.
import { AlipayError } from './errors.ts';
import { type Fen, formatYuan, parseYuan } from './amount.ts';

export type RefundMode = 'pwd' | 'nopwd';
export const REFUND_SERVICES: Readonly<Record<RefundMode, string>> = {
  pwd: 'refund_fastpay_by_platform_pwd', // the seller confirms with their password on Alipay's page
  nopwd: 'refund_fastpay_by_platform_nopwd', // server to server, with that contract
};

/** yyyyMMdd (the refund date, Beijing time) + 3–24 letters or digits, not "000"; unique per partner. */
const BATCH_NO = /^\d{8}[0-9A-Za-z]{3,24}$/;
export const isBatchNo = (v: string): boolean => BATCH_NO.test(v) && v.slice(8) !== '000';

/** A batch number from the refund date and a serial that is never reused (a counter). */
export function batchNo(refundDate: string, serial: number): string {
  if (!/^\d{4}-\d{2}-\d{2} /.test(refundDate)) throw new AlipayError('INVALID_INPUT', 'refundDate must be "yyyy-MM-dd HH:mm:ss"');
  if (!Number.isSafeInteger(serial) || serial < 1) throw new AlipayError('INVALID_INPUT', 'the batch serial must be a positive integer');
  return `${refundDate.slice(0, 10).replaceAll('-', '')}${String(serial).padStart(8, '0')}`;
}

/** "yyyy-MM-dd HH:mm:ss" in Beijing time, as Alipay writes (and wants) refund_date. */
export function beijingTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

// detail_data is split by Alipay on "#", "^" (and "$", "|" in royalty forms): a reason may not carry them, nor anything
// that could re-split the signed presign ("&", "="), nor control characters.
const REASON_FORBIDDEN = /[\^|$#&=\u0000-\u001F\u007F]/;
const MAX_REASON_BYTES = 256;

/** Checks a refund reason; throws INVALID_PARAMETER naming what to change. */
export function checkReason(reason: string, field = 'reason'): string {
  if (reason.trim() === '') throw new AlipayError('INVALID_PARAMETER', `${field} must not be empty: Alipay shows it to the buyer`, field);
  const bad = REASON_FORBIDDEN.exec(reason);
  if (bad) {
    throw new AlipayError('INVALID_PARAMETER', `${field} must not contain ${JSON.stringify(bad[0])}: Alipay splits detail_data on ^ # $ |, and & = could re-split the signed message`, field);
  }
  if (Buffer.byteLength(reason, 'utf8') > MAX_REASON_BYTES) {
    throw new AlipayError('INVALID_PARAMETER', `${field} is longer than ${MAX_REASON_BYTES} bytes`, field);
  }
  return reason;
}

export interface RefundItem {
  tradeNo: string;
  amountFen: Fen;
  reason: string;
}

/** detail_data: `trade_no^amount^reason` items joined by "#". */
export const detailData = (items: readonly RefundItem[]): string =>
  items.map((i) => `${i.tradeNo}^${formatYuan(i.amountFen)}^${checkReason(i.reason)}`).join('#');

/** The parameters of a refund request (either service), without service/partner/_input_charset/sign. */
export function refundParams(input: { batchNo: string; refundDate: string; items: readonly RefundItem[]; notifyUrl: string; sellerUserId: string }): Record<string, string> {
  if (!isBatchNo(input.batchNo)) throw new AlipayError('INVALID_INPUT', `batch_no ${input.batchNo} is not yyyyMMdd + 3 to 24 letters or digits`);
  return {
    notify_url: input.notifyUrl,
    seller_user_id: input.sellerUserId,
    refund_date: input.refundDate,
    batch_no: input.batchNo,
    batch_num: String(input.items.length),
    detail_data: detailData(input.items),
  };
}

export interface RefundResult {
  tradeNo: string;
  amountFen: Fen;
  /** `SUCCESS`, or Alipay's error code for this item. */
  result: string;
}

/**
 * result_details of a batch_refund_notify: items split by "#", each `trade_no^amount^RESULT`, optionally followed by
 * `$fee_account^fee_account_id^fee_amount^RESULT` (the fee refund, which we do not use). Unreadable items are refused.
 */
export function parseResultDetails(text: string): RefundResult[] {
  if (text === '') return [];
  return text.split('#').map((item, i) => {
    const [main] = item.split('$');
    const parts = main!.split('^');
    if (parts.length !== 3 || parts[0] === '' || parts[2] === '') {
      throw new AlipayError('MALFORMED_FORM', `result_details item ${i + 1} is not trade_no^amount^result`, 'result_details');
    }
    return { tradeNo: parts[0]!, amountFen: parseYuan(parts[1], 'result_details amount'), result: parts[2]! };
  });
}
