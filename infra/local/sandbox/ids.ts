// Identifiers shaped like Alipay's: 28-digit trade_no, 34-character notify_id, 2088… buyer ids, Beijing timestamps.
import { randomBytes, randomInt } from 'node:crypto';

const BEIJING_OFFSET_MS = 8 * 3600_000;

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8), as Alipay writes notify_time and gmt_*. */
export function beijingTime(at: Date): string {
  return new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');

let tradeSeq = 0;

/** yyyyMMdd (Beijing) + 20 digits, e.g. 2016092021001004380280045538; unique within this process. */
export function newTradeNo(at: Date): string {
  const date = beijingTime(at).slice(0, 10).replaceAll('-', '');
  tradeSeq = (tradeSeq + 1) % 1_000_000;
  return `${date}2100100${digits(7)}${String(tradeSeq).padStart(6, '0')}`;
}

/** An async notify_id: 34 lowercase hex characters, like 38c1fb14812b0e048c0271319689233605. */
export const newNotifyId = (): string => randomBytes(17).toString('hex');

/**
 * A return notify_id: base64-like, 34 characters. Real ones carry `/` and `+` (OMNIPAY's sample `RqPnCoPT3K9%2F…`);
 * every one made here has at least one, so each return exercises the merchant's decoding.
 */
export function newReturnNotifyId(): string {
  const id = randomBytes(26).toString('base64').slice(0, 34).split('');
  if (!id.some((c) => c === '/' || c === '+')) id[randomInt(1, 33)] = randomInt(2) === 0 ? '/' : '+';
  return id.join('');
}

/** A buyer account id: 2088 + 12 digits. */
export const newBuyerId = (): string => `2088${digits(12)}`;
