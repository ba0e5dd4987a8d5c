// Notifications and return query strings as Alipay sends them: fields -> MD5 sign in the charset -> form-encoded in that charset.
import { createHash, randomBytes } from 'node:crypto';
import type { Charset } from '../../shared/alipay/charset.ts';
import { encodeForm } from '../../shared/alipay/form.ts';
import { signParams } from '../../shared/alipay/sign.ts';

/** The partner id and an obviously fake MD5 key the tests configure (see app-env.ts). */
export const TEST_PARTNER = '2088101568358171';
export const TEST_KEY = 'testkeytestkeytestkeytestkey1234';
export const BUYER_ID = '2088602328397594';
export const SUBJECT = '测试商品·中文标题';

export interface TradeMessageInput {
  outTradeNo: string;
  tradeStatus: string;
  /** Yuan string; `null` leaves total_fee out. */
  totalFee: string | null;
  /** Default: a fresh 34-character id, like Alipay's. */
  notifyId?: string;
  /** Default: derived from outTradeNo, so every message about one trade carries the same trade_no. */
  tradeNo?: string;
  /** Default: the test partner (the seller of every order the tests create). */
  sellerId?: string;
  subject?: string;
  /** Default: now. Sent as Beijing time "yyyy-MM-dd HH:mm:ss". */
  notifyTime?: Date;
  /** Extra fields (use_coupon, discount, refund_status, …); `undefined` removes a default field. */
  extra?: Record<string, string | undefined>;
}

export interface SignOptions {
  charset?: Charset;
  key?: string;
  /** Sent as sign_type (default `MD5`); the sign itself is always MD5. */
  signType?: string;
  /** Values changed AFTER signing, as an attacker would. */
  tamper?: Record<string, string>;
}

export interface SignedMessage {
  notifyId: string;
  /** Every field sent, sign and sign_type included, as text. */
  fields: Record<string, string>;
  /** The form body / query string (ASCII: non-ASCII bytes are percent-encoded in the charset). */
  encoded: string;
  /** `encoded` as bytes, what arrives in the request body. */
  bytes: Buffer;
}

export const newNotifyId = (): string => randomBytes(17).toString('hex');

export function tradeNoFor(outTradeNo: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(outTradeNo).digest('hex').slice(0, 20)}`).toString().padStart(20, '0');
  return `20240501${digits.slice(0, 20)}`;
}

/** "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8), as Alipay writes notify_time. */
export function beijingTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The fields of a trade_status_sync message, unsigned. */
export function tradeFields(input: TradeMessageInput): Record<string, string> {
  const now = input.notifyTime ?? new Date();
  const fields: Record<string, string | undefined> = {
    discount: '0.00',
    payment_type: '1',
    subject: input.subject ?? SUBJECT,
    trade_no: input.tradeNo ?? tradeNoFor(input.outTradeNo),
    buyer_email: 'buyer@example.com',
    gmt_create: beijingTime(new Date(now.getTime() - 60_000)),
    notify_type: 'trade_status_sync',
    quantity: '1',
    out_trade_no: input.outTradeNo,
    seller_id: input.sellerId ?? TEST_PARTNER,
    notify_time: beijingTime(now),
    trade_status: input.tradeStatus,
    is_total_fee_adjust: 'N',
    ...(input.totalFee === null ? {} : { total_fee: input.totalFee }),
    gmt_payment: beijingTime(now),
    seller_email: 'seller@example.com',
    buyer_id: BUYER_ID,
    notify_id: input.notifyId ?? newNotifyId(),
    use_coupon: 'N',
    ...input.extra,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Signs fields as Alipay does (MD5 over the bytes in `charset`) and form-encodes them in that charset. */
export function signMessage(fields: Readonly<Record<string, string>>, opts: SignOptions = {}): SignedMessage {
  const charset = opts.charset ?? 'utf-8';
  const { sign } = signParams(fields, opts.key ?? TEST_KEY, charset);
  const sent: Record<string, string> = { ...fields, sign, sign_type: opts.signType ?? 'MD5', ...opts.tamper };
  const encoded = encodeForm(Object.entries(sent), charset);
  return { notifyId: sent.notify_id ?? '', fields: sent, encoded, bytes: Buffer.from(encoded, 'latin1') };
}

/** An async notification body (POST to notify_url). */
export function notification(input: TradeMessageInput, opts: SignOptions = {}): SignedMessage {
  return signMessage(tradeFields(input), opts);
}

/** The query string of the buyer's redirect to return_url. */
export function returnQuery(input: TradeMessageInput & { service?: string }, opts: SignOptions = {}): SignedMessage {
  const fields = tradeFields(input);
  // The return carries is_success and exterface, and none of the async-only timing fields.
  delete fields.gmt_create;
  delete fields.gmt_payment;
  delete fields.discount;
  delete fields.is_total_fee_adjust;
  delete fields.quantity;
  return signMessage({ ...fields, is_success: 'T', exterface: input.service ?? 'create_direct_pay_by_user' }, opts);
}
