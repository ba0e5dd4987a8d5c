// What the sandbox sends as Alipay: the async notification body and the return query string, signed with the
// partner's key over the bytes in the request's charset (GBK bytes for a gbk request).
import type { Charset } from './alipay-charset.ts';
import { encodeForm } from './alipay-form.ts';
import { signText } from './alipay-md5.ts';
import { beijingTime } from './ids.ts';
import { type Trade, tradeFields } from './trades.ts';

export interface SignedMessage {
  /** Every field, sign and sign_type last. */
  pairs: [string, string][];
  /** Form-encoded in the charset: ASCII, non-ASCII bytes percent-encoded once. */
  encoded: string;
}

export function signMessage(fields: readonly [string, string][], key: string, charset: Charset): SignedMessage {
  const sign = signText(fields, key, charset);
  const pairs: [string, string][] = [...fields, ['sign', sign], ['sign_type', 'MD5']];
  return { pairs, encoded: encodeForm(pairs, charset) };
}

/** The trade_status_sync notification for the trade's current status. */
export function notifyMessage(trade: Trade, notifyId: string, key: string, now: Date): SignedMessage {
  const fields: [string, string][] = [
    ['notify_time', beijingTime(now)],
    ['notify_type', 'trade_status_sync'],
    ['notify_id', notifyId],
    ...tradeFields(trade),
  ];
  return signMessage(fields, key, trade.charset);
}

/** The return query: the notify field set plus is_success=T and exterface, with a return notify_id. */
export function returnMessage(trade: Trade, notifyId: string, key: string, now: Date): SignedMessage {
  const fields: [string, string][] = [
    ['is_success', 'T'],
    ['exterface', trade.service],
    ['notify_time', beijingTime(now)],
    ['notify_type', 'trade_status_sync'],
    ['notify_id', notifyId],
    ...tradeFields(trade),
  ];
  return signMessage(fields, key, trade.charset);
}

export function notifyContentType(charset: Charset): string {
  return `application/x-www-form-urlencoded; charset=${charset}`;
}

/** return_url with the signed query appended. */
export function returnLocation(returnUrl: string, message: SignedMessage): string {
  return `${returnUrl}?${message.encoded}`;
}
