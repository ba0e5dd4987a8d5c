// Reads one gateway.do request the way Alipay does and decides what it is: an error code with the reason, a
// notify_verify question, a payment to start, or a server call. No state: trades are looked at by the caller.
import iconv from 'iconv-lite';
import { type Charset, charsetNamed, decodeText } from './alipay-charset.ts';
import { type FormPair, parseForm } from './alipay-form.ts';
import { type ByteParams, presign, signProblem } from './alipay-md5.ts';
import {
  type GatewayErrorCode,
  type GatewayRefusal,
  isServerCall,
  type PaymentService,
  paymentParams,
  paymentRefusal,
  type ServerCall,
  serverCallRefusal,
  serviceRefusal,
  signTypeRefusal,
} from './alipay-rules.ts';
import { buyerTotal } from './buyer-total.ts';
import type { ResolvedAccount } from './options.ts';
import { isRefusal } from './trades.ts';

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
  | {
      kind: 'payment';
      service: PaymentService;
      account: ResolvedAccount;
      charset: Charset;
      params: Record<string, string>;
      /** What the buyer pays, two decimals; '' when the donor chooses. */
      totalFee: string;
    }
  | {
      kind: 'server_call';
      service: ServerCall;
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

function refuseIf(refusal: GatewayRefusal | undefined): void {
  if (refusal) throw new Refused(refusal.code, refusal.reason);
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

    refuseIf(serviceRefusal(service));
    const offered = service as PaymentService | ServerCall; // serviceRefusal let nothing else through
    if (isServerCall(offered)) answer = 'xml';

    partner = ascii(params.get('partner'));
    const account = partner === undefined ? undefined : accounts.get(partner);
    if (!account) {
      throw new Refused('ILLEGAL_PARTNER', partner ? `partner "${partner}" is not an account of this sandbox` : 'the request has no partner parameter');
    }
    refuseIf(signTypeRefusal(ascii(params.get('sign_type'))));
    checkSign(params, account, charset, reread);

    const text = textParams(params, charset);
    if (isServerCall(offered)) {
      const echo = [...text].filter(([k]) => k !== 'sign' && k !== 'sign_type');
      const callParams = Object.fromEntries(echo);
      refuseIf(serverCallRefusal(offered, callParams));
      return { kind: 'server_call', service: offered, account, charset, params: callParams, echo };
    }
    return { kind: 'payment', service: offered, account, charset, ...checkPayment(text, charset, account) };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return { kind: 'error', code: err.code, reason: err.reason, answer, charset, ...(service ? { service } : {}), ...(partner ? { partner } : {}) };
  }
}

function parse(bytes: Buffer, where: string): FormPair[] {
  try {
    return parseForm(bytes);
  } catch (err) {
    throw new Refused('ILLEGAL_ARGUMENT', `the ${where} cannot be decoded: ${(err as Error).message}`);
  }
}

const find = (pairs: readonly FormPair[], name: string): Buffer | undefined => pairs.find((p) => p.name.toString('latin1') === name)?.value;
const ascii = (b: Buffer | undefined): string | undefined => b?.toString('latin1');
const nonEmpty = (s: string | undefined): string | undefined => (s === '' ? undefined : s);

function charsetOf(value: Buffer): Charset {
  const charset = charsetNamed(value.toString('latin1'));
  if (charset === undefined) throw new Refused('ILLEGAL_CHARSET', `_input_charset "${value.toString('latin1')}" is not supported: use utf-8 or gbk (gb2312 is read as gbk)`);
  return charset;
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
const regbk = (value: Buffer, charset: Charset): Buffer => iconv.encode(iconv.decode(value, 'gbk'), charset === 'gbk' ? 'gbk' : 'utf8');

function checkSign(params: ByteParams, account: ResolvedAccount, charset: Charset, reread: boolean): void {
  const problem = signProblem(params, account.key);
  if (problem === undefined) return;
  const signed = presign(params);
  let shown: string;
  try {
    shown = decodeText(signed, charset);
  } catch {
    shown = signed.toString('latin1');
  }
  const hint = reread
    ? ' The form was POSTed without _input_charset in the URL, so the body was read as GBK (Alipay\'s default): put ?_input_charset=… in the form action.'
    : '';
  throw new Refused('ILLEGAL_SIGN', `${problem}. The sandbox signed (before appending the key, in ${charset}): ${shown}.${hint}`);
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

function checkPayment(text: Map<string, string>, charset: Charset, account: ResolvedAccount): { params: Record<string, string>; totalFee: string } {
  const given = Object.fromEntries([...text].filter(([k]) => k !== 'sign' && k !== 'sign_type'));
  // Alipay takes UTF-8 and gb2312 as well; the name was signed as sent, now it only needs to be understood.
  if (given._input_charset) given._input_charset = charset;
  refuseIf(paymentRefusal(given));
  const params = paymentParams(given);
  const seller = sellerProblem(params, account);
  if (seller) throw new Refused('ILLEGAL_ARGUMENT', seller);
  const total = buyerTotal(params);
  if (isRefusal(total)) throw new Refused('ILLEGAL_ARGUMENT', total.refused);
  return { params, totalFee: total ?? '' };
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
