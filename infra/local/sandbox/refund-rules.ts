// What Alipay's gateway refuses in a refund request (protocol doc §5.4, §6) before it looks at any trade: the batch
// number and its date, the count, each detail_data item and its reason. Read from the doc on its own, not from the
// product's refunds module. Trade-level refusals are in trade-refunds.ts; which rule gets which §5.4 code is partly
// inferred (the README lists it).
import { type Charset, encodeText } from './alipay-charset.ts';
import { type GatewayErrorCode, type GatewayRefusal, PARTNER_ID, type RefundService, valueProblem } from './alipay-rules.ts';
import { beijingTime } from './ids.ts';
import { fenOf, MAX_FEN, MIN_FEN, yuanOf } from './yuan.ts';

/** One `trade_no^amount^reason` item of detail_data. */
export interface RefundItem {
  readonly tradeNo: string;
  /** Two decimals, as Alipay writes amounts back. */
  readonly amount: string;
  readonly reason: string;
}

/** A refund request whose parameters the gateway accepts; the trades are still to be looked at. */
export interface RefundRequest {
  readonly service: RefundService;
  readonly batchNo: string;
  readonly refundDate: string;
  /** seller_user_id wins over seller_email (§5.4). */
  readonly seller: { readonly by: 'seller_user_id' | 'seller_email'; readonly value: string };
  readonly notifyUrl?: string;
  /** As sent, to tell the same request again from another one with the same batch_no. */
  readonly detailData: string;
  readonly items: readonly RefundItem[];
}

/** §5.4: at most 1000 items in a batch. */
export const MAX_BATCH_NUM = 1000;
/** §5.4: a reason of at most 256 bytes, counted in the request's charset [inference: the doc does not say which]. */
export const MAX_REASON_BYTES = 256;
/**
 * batch_no and refund_date must be dated today, Beijing time. [inference] A request made just before midnight and
 * read just after is still accepted: "today" is the date of any moment within this much of now.
 */
export const DATE_TOLERANCE_MS = 10 * 60_000;

const BATCH_NO = /^(\d{8})([0-9A-Za-z]{3,24})$/;
const REFUND_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const AMOUNT = /^\d+(\.\d{1,2})?$/;

const refusal = (code: GatewayErrorCode, reason: string): GatewayRefusal => ({ code, reason });
export const isRefundRequest = (r: RefundRequest | GatewayRefusal): r is RefundRequest => !('code' in r);

const given = (p: Readonly<Record<string, string>>, k: string): boolean => p[k] !== undefined && p[k] !== '';

/** True when y-m-d (and h:m:s) name a real moment of the calendar. */
function realDate(y: number, m: number, d: number, hh = 0, mm = 0, ss = 0): boolean {
  const t = new Date(Date.UTC(y, m - 1, d, hh, mm, ss));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && t.getUTCHours() === hh && t.getUTCMinutes() === mm && t.getUTCSeconds() === ss;
}

/** The yyyyMMdd dates (Beijing) that count as today at `now`. */
function todays(now: Date): Set<string> {
  return new Set([-DATE_TOLERANCE_MS, 0, DATE_TOLERANCE_MS].map((d) => beijingTime(new Date(now.getTime() + d)).slice(0, 10).replaceAll('-', '')));
}

/** Reads a refund request (text values, sign and sign_type removed): what it asks for, or the first refusal. */
export function readRefundRequest(service: RefundService, params: Readonly<Record<string, string>>, charset: Charset, now: Date): RefundRequest | GatewayRefusal {
  for (const name of ['_input_charset', 'batch_no', 'refund_date', 'batch_num', 'detail_data']) {
    if (!given(params, name)) return refusal('ILLEGAL_ARGUMENT', `${name} is required for ${service} (§5.4)`);
  }
  if (given(params, 'notify_url')) {
    const problem = valueProblem('notify_url', params.notify_url!);
    if (problem) return refusal('ILLEGAL_ARGUMENT', problem);
  }
  const by = given(params, 'seller_user_id') ? 'seller_user_id' : given(params, 'seller_email') ? 'seller_email' : undefined;
  if (!by) return refusal('ILLEGAL_ARGUMENT', `${service} needs the seller: seller_user_id or seller_email (§5.4)`);
  if (by === 'seller_user_id' && !PARTNER_ID.test(params.seller_user_id!)) {
    return refusal('ILLEGAL_ARGUMENT', `seller_user_id ${JSON.stringify(params.seller_user_id)} is invalid: it must be 16 digits starting with 2088 (§7)`);
  }

  const batchNo = params.batch_no!;
  const b = BATCH_NO.exec(batchNo);
  const bDate = b?.[1] ?? '';
  if (!b || b[2] === '000' || !realDate(Number(bDate.slice(0, 4)), Number(bDate.slice(4, 6)), Number(bDate.slice(6, 8)))) {
    return refusal('BATCH_NO_FORMAT_ERROR', `batch_no ${JSON.stringify(batchNo)} must be the refund date yyyyMMdd and 3 to 24 letters or digits, not "000" (§5.4)`);
  }
  const refundDate = params.refund_date!;
  const r = REFUND_DATE.exec(refundDate);
  if (!r || !realDate(...(r.slice(1, 7).map(Number) as [number, number, number, number, number, number]))) {
    return refusal('REFUND_DATE_ERROR', `refund_date ${JSON.stringify(refundDate)} must be the current time as yyyy-MM-dd HH:mm:ss (§5.4)`);
  }
  const today = todays(now);
  const rDate = `${r[1]}${r[2]}${r[3]}`;
  const todayShown = beijingTime(now).slice(0, 10);
  if (!today.has(rDate)) return refusal('REFUND_DATE_ERROR', `refund_date ${refundDate} is not today: it is ${todayShown} in Beijing (§5.4)`);
  if (!today.has(bDate)) return refusal('REFUND_DATE_ERROR', `batch_no ${batchNo} starts with ${bDate}, not today's date: it is ${todayShown} in Beijing (§5.4)`);

  const batchNum = params.batch_num!;
  if (!/^[1-9]\d*$/.test(batchNum)) return refusal('BATCH_NUM_ERROR', `batch_num ${JSON.stringify(batchNum)} must be the number of items, a whole number from 1 (§5.4)`);
  if (Number(batchNum) > MAX_BATCH_NUM) return refusal('BATCH_NUM_EXCEED_LIMIT', `batch_num ${batchNum} is more than ${MAX_BATCH_NUM} (§5.4)`);

  const detailData = params.detail_data!;
  const parts = detailData.split('#');
  if (parts.length > MAX_BATCH_NUM) return refusal('BATCH_NUM_EXCEED_LIMIT', `detail_data has ${parts.length} items, more than ${MAX_BATCH_NUM} (§5.4)`);
  if (parts.length !== Number(batchNum)) {
    return refusal('BATCH_NUM_NOT_EQUAL_TOTAL', `batch_num is ${batchNum} but detail_data has ${parts.length} item(s) (items are joined by "#", §5.4)`);
  }
  const items: RefundItem[] = [];
  const seen = new Set<string>();
  for (const [i, part] of parts.entries()) {
    const item = readItem(service, part, i + 1, charset);
    if ('code' in item) return item;
    if (seen.has(item.tradeNo)) return refusal('DUBL_TRADE_NO_IN_SAME_BATCH', `trade_no ${item.tradeNo} is in this batch twice (item ${i + 1}, §5.4)`);
    seen.add(item.tradeNo);
    items.push(item);
  }
  return {
    service, batchNo, refundDate, seller: { by, value: params[by]! }, detailData, items,
    ...(given(params, 'notify_url') ? { notifyUrl: params.notify_url } : {}),
  };
}

function readItem(service: RefundService, part: string, n: number, charset: Charset): RefundItem | GatewayRefusal {
  const where = `detail_data item ${n}`;
  if (part.includes('|')) {
    // The royalty form trade_no^amount^reason|account^…: refused by the _pwd service (§5.4); not simulated for _nopwd.
    return service === 'refund_fastpay_by_platform_pwd'
      ? refusal('PWD_REFUND_NOT_ALLOW_ROYALTY', `${where} carries a royalty refund ("|"), which ${service} does not allow (§5.4)`)
      : refusal('DETAIL_DATA_FORMAT_ERROR', `${where} carries a royalty refund ("|"): the sandbox does not simulate royalties, and a reason may not contain "|" (§5.4)`);
  }
  const fields = part.split('^');
  if (part.includes('$') || fields.length !== 3 || fields[0] === '') {
    return refusal('DETAIL_DATA_FORMAT_ERROR', `${where} ${JSON.stringify(part.slice(0, 80))} is not trade_no^amount^reason (a reason may not contain ^ | $ #, §5.4)`);
  }
  const [tradeNo, amount, reason] = fields as [string, string, string];
  const fen = AMOUNT.test(amount) ? fenOf(amount) : 0n;
  if (fen < MIN_FEN || fen > MAX_FEN) {
    return refusal('REFUND_AMOUNT_NOT_VALID', `${where}: the amount ${JSON.stringify(amount)} must be yuan with at most 2 decimals, from ${yuanOf(MIN_FEN)} (§2.5)`);
  }
  const bytes = encodeText(reason, charset).length;
  if (bytes > MAX_REASON_BYTES) {
    return refusal('SINGLE_DETAIL_DATA_EXCEED_LIMIT', `${where}: the reason is ${bytes} bytes in ${charset}, more than ${MAX_REASON_BYTES} (§5.4)`);
  }
  return { tradeNo, amount: yuanOf(fen), reason };
}
