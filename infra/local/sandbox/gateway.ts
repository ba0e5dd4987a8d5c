// Reads one gateway.do request the way Alipay does and decides what it is: an error code with the reason, a
// notify_verify question, a payment to start, or a server call. No state: trades are looked at by the caller.
import { type Charset, decodeText, encodeText, parseCharset } from '../../../shared/alipay/charset.ts';
import { isAlipayError } from '../../../shared/alipay/errors.ts';
import { type FormPair, parseFormBytes } from '../../../shared/alipay/form.ts';
import type { ByteParams } from '../../../shared/alipay/params.ts';
import { isServiceName, type ServiceName, validatePaymentParams } from '../../../shared/alipay/services.ts';
import { presignBytes, verifyBytes } from '../../../shared/alipay/sign.ts';
import iconv from 'iconv-lite';
import type { ResolvedAccount } from './options.ts';

export type GatewayErrorCode =
  | 'ILLEGAL_CHARSET'
  | 'ILLEGAL_SERVICE'
  | 'ILLEGAL_PARTNER'
  | 'ILLEGAL_SIGN_TYPE'
  | 'ILLEGAL_SIGN'
  | 'ILLEGAL_ARGUMENT'
  | 'TRADE_HAS_SUCCESS'
  | 'TRADE_HAS_CLOSED' // [inference] unconfirmed legacy code
  | 'TRADE_DATA_MATCH_ERROR' // [inference] unconfirmed legacy code (the AOP name)
  | 'TRADE_NOT_EXIST'
  | 'TRADE_STATUS_NOT_AVAILD';

export const SERVER_SERVICES = ['single_trade_query', 'send_goods_confirm_by_platform', 'close_trade'] as const;
export type ServerService = (typeof SERVER_SERVICES)[number];
const isServerService = (s: string): s is ServerService => (SERVER_SERVICES as readonly string[]).includes(s);

/** How an error is shown: the HTML error page (browser redirects) or `<is_success>F</is_success>` XML (server calls). */
export type ErrorAnswer = 'page' | 'xml';

export interface GatewayFailure {
  kind: 'error';
  code: GatewayErrorCode;
  reason: string;
  answer: ErrorAnswer;
  charset: Charset;
  service?: string;
  partner?: string;
}

export type GatewayRequest =
  | GatewayFailure
  | { kind: 'notify_verify'; partner?: string; notifyId?: string }
  | { kind: 'payment'; service: ServiceName; account: ResolvedAccount; charset: Charset; params: Record<string, string> }
  | {
      kind: 'server_call';
      service: ServerService;
      account: ResolvedAccount;
      charset: Charset;
      /** Every parameter but sign and sign_type, as text. */
      params: Record<string, string>;
      /** The same, in the order received, for the `<request>` echo. */
      echo: [string, string][];
    };

export interface RawGatewayRequest {
  method: 'GET' | 'POST';
  /** The query string's bytes, as on the wire. */
  query: Buffer;
  /** The body's bytes (POST). */
  body: Buffer;
}

/** Alipay reads a body without a charset in its URL as GBK. */
const DEFAULT_CHARSET: Charset = 'gbk';

class Refused extends Error {
  constructor(readonly code: GatewayErrorCode, readonly reason: string) {
    super(reason);
  }
}

export function readGatewayRequest(raw: RawGatewayRequest, accounts: ReadonlyMap<string, ResolvedAccount>): GatewayRequest {
  let answer: ErrorAnswer = 'page';
  let charset: Charset = DEFAULT_CHARSET;
  let service: string | undefined;
  let partner: string | undefined;
  try {
    const queryPairs = parse(raw.query, 'query string');
    const bodyPairs = raw.method === 'POST' ? parse(raw.body, 'body') : [];
    service = ascii(find(queryPairs, 'service') ?? find(bodyPairs, 'service'));
    if (service === 'notify_verify') {
      // Unsigned and charset-free: only partner and notify_id matter.
      const merged = merge(bodyPairs, queryPairs);
      return { kind: 'notify_verify', partner: nonEmpty(ascii(merged.get('partner'))), notifyId: nonEmpty(ascii(merged.get('notify_id'))) };
    }
    const queryCharset = find(queryPairs, '_input_charset');
    // The faithful quirk: a POST whose URL lacks _input_charset has its body decoded as GBK, then re-encoded in the
    // body's _input_charset before the sign check. UTF-8 Chinese does not survive that, hence ILLEGAL_SIGN.
    const reread = raw.method === 'POST' && queryCharset === undefined && bodyPairs.length > 0;
    const declared = queryCharset ?? find(bodyPairs, '_input_charset');
    charset = declared === undefined ? DEFAULT_CHARSET : charsetOf(declared);
    const params = merge(reread ? bodyPairs.map((p) => ({ name: p.name, value: regbk(p.value, charset) })) : bodyPairs, queryPairs);

    if (service === undefined || service === '') throw new Refused('ILLEGAL_SERVICE', 'the request has no service parameter');
    if (!isServiceName(service) && !isServerService(service)) {
      throw new Refused('ILLEGAL_SERVICE', `service "${service}" is not one this gateway offers (payment services, notify_verify, single_trade_query, send_goods_confirm_by_platform, close_trade)`);
    }
    if (isServerService(service)) answer = 'xml';

    partner = ascii(params.get('partner'));
    const account = partner === undefined ? undefined : accounts.get(partner);
    if (!account) {
      throw new Refused('ILLEGAL_PARTNER', partner ? `partner "${partner}" is not an account of this sandbox` : 'the request has no partner parameter');
    }
    const signType = ascii(params.get('sign_type'));
    if (signType !== 'MD5') {
      throw new Refused('ILLEGAL_SIGN_TYPE', signType === undefined ? 'the request has no sign_type (expected MD5)' : `sign_type "${signType}" is not accepted: write MD5, upper case`);
    }
    checkSign(params, account, charset, reread);

    const text = textParams(params, charset);
    if (isServerService(service)) {
      const echo = [...text].filter(([k]) => k !== 'sign' && k !== 'sign_type');
      return { kind: 'server_call', service, account, charset, params: Object.fromEntries(echo), echo };
    }
    return { kind: 'payment', service: service as ServiceName, account, charset, params: checkPayment(text, charset, account) };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return { kind: 'error', code: err.code, reason: err.reason, answer, charset, ...(service ? { service } : {}), ...(partner ? { partner } : {}) };
  }
}

function parse(bytes: Buffer, where: string): FormPair[] {
  try {
    return parseFormBytes(bytes);
  } catch (err) {
    throw new Refused('ILLEGAL_ARGUMENT', `the ${where} cannot be decoded: ${(err as Error).message}`);
  }
}

const find = (pairs: readonly FormPair[], name: string): Buffer | undefined => pairs.find((p) => p.name.toString('latin1') === name)?.value;
const ascii = (b: Buffer | undefined): string | undefined => b?.toString('latin1');
const nonEmpty = (s: string | undefined): string | undefined => (s === '' ? undefined : s);

function charsetOf(value: Buffer): Charset {
  try {
    return parseCharset(value.toString('latin1'));
  } catch {
    throw new Refused('ILLEGAL_CHARSET', `_input_charset "${value.toString('latin1')}" is not supported: use utf-8 or gbk`);
  }
}

/** Body then query; a name given twice is refused unless both copies are the same (e.g. `?_input_charset=utf-8`, any case). */
function merge(body: readonly FormPair[], query: readonly FormPair[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const { name, value } of [...body, ...query]) {
    const key = name.toString('latin1');
    if (key === '') continue;
    const seen = out.get(key);
    const same = seen === undefined || seen.equals(value) ||
      (key === '_input_charset' && seen.toString('latin1').toLowerCase() === value.toString('latin1').toLowerCase());
    if (!same) throw new Refused('ILLEGAL_ARGUMENT', `parameter ${key} is given twice with different values`);
    if (seen === undefined) out.set(key, value); // the body's copy is the one the merchant signed
  }
  return out;
}

/** Bytes read as GBK, written back in `charset`; what GBK cannot decode becomes `?`, as a lossy server would. */
function regbk(value: Buffer, charset: Charset): Buffer {
  const text = decodeText(value, 'gbk');
  try {
    return encodeText(text, charset);
  } catch {
    return iconv.encode(text, charset === 'gbk' ? 'gbk' : 'utf8');
  }
}

function checkSign(params: ByteParams, account: ResolvedAccount, charset: Charset, reread: boolean): void {
  const result = verifyBytes(params, account.key);
  if (result.valid) return;
  let presign: string;
  try {
    presign = decodeText(presignBytes(params), charset);
  } catch {
    presign = presignBytes(params).toString('latin1');
  }
  const hint = reread
    ? ' The form was POSTed without _input_charset in the URL, so the body was read as GBK (Alipay\'s default): put ?_input_charset=… in the form action.'
    : '';
  throw new Refused('ILLEGAL_SIGN', `${result.message}. The sandbox signed (before appending the key, in ${charset}): ${presign}.${hint}`);
}

function textParams(params: ByteParams, charset: Charset): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of params) {
    try {
      out.set(name, decodeText(value, charset));
    } catch {
      throw new Refused('ILLEGAL_ARGUMENT', `the value of ${name} is not valid ${charset}`);
    }
  }
  return out;
}

function checkPayment(text: Map<string, string>, charset: Charset, account: ResolvedAccount): Record<string, string> {
  const given = Object.fromEntries([...text].filter(([k]) => k !== 'sign' && k !== 'sign_type'));
  // Alipay takes UTF-8, utf8 and gb2312 as well; the name was signed as sent, now it only needs to be understood.
  if (given._input_charset !== undefined) given._input_charset = charset;
  let params: Record<string, string>;
  try {
    params = validatePaymentParams(given, charset);
  } catch (err) {
    if (isAlipayError(err)) throw new Refused('ILLEGAL_ARGUMENT', err.message);
    throw err;
  }
  if (params.payment_type === undefined) throw new Refused('ILLEGAL_ARGUMENT', 'payment_type is required: send payment_type=1');
  const seller = sellerProblem(params, account);
  if (seller) throw new Refused('ILLEGAL_ARGUMENT', seller);
  return params;
}

/** The seller named with the highest priority (seller_id > seller_account_name > seller_email) must be the partner's. */
function sellerProblem(params: Readonly<Record<string, string>>, account: ResolvedAccount): string | undefined {
  if (params.seller_id !== undefined) {
    return params.seller_id === account.sellerId ? undefined : `seller_id ${params.seller_id} is not the seller of partner ${account.partner} (its seller is ${account.sellerId})`;
  }
  const field = params.seller_account_name !== undefined ? 'seller_account_name' : 'seller_email';
  const value = params[field];
  if (!account.hasSellerEmail) {
    return `${field} cannot be matched: this sandbox account has no sellerEmail configured; send seller_id=${account.sellerId}`;
  }
  return value === account.sellerEmail ? undefined : `${field} ${value} is not the seller of partner ${account.partner}`;
}
