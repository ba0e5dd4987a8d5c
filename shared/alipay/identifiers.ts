// What Alipay's identifiers can look like. A signed message carrying something else is not a trade we can key on.
/** notify_id: about 34 characters; a return's may contain "/", "+", "%" and "=". Printable ASCII, no spaces. */
const NOTIFY_ID = /^[\x21-\x7e]{1,256}$/;
/** trade_no: Alipay's trade id, "最长64位" (at most 64); 16 or 28 digits in practice. */
const TRADE_NO = /^[0-9A-Za-z_-]{1,64}$/;

/** Our rule for merchant order numbers: 1 to 64 of A-Z a-z 0-9 _ - (safe in URLs, keys and logs). */
export const OUT_TRADE_NO = /^[A-Za-z0-9_-]{1,64}$/;
export const isOutTradeNo = (value: unknown): value is string => typeof value === 'string' && OUT_TRADE_NO.test(value);
export const OUT_TRADE_NO_RULE = '1 to 64 characters of A-Z a-z 0-9 _ -';

export const isNotifyId = (value: string): boolean => NOTIFY_ID.test(value);
export const NOTIFY_ID_RULE = '1 to 256 printable ASCII characters without spaces';
export const isTradeNo = (value: string): boolean => TRADE_NO.test(value);
export const TRADE_NO_RULE = '1 to 64 letters, digits, "_" or "-"';
