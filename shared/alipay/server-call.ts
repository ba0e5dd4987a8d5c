// Signed server-to-server calls to the gateway (protocol doc §5): single_trade_query, close_trade,
// send_goods_confirm_by_platform, refund_fastpay_by_platform_nopwd. A signed GET; an XML answer read with a real parser.
import { XMLParser } from 'fast-xml-parser';
import type { MerchantAccount } from './account.ts';
import { type Charset, decodeText, parseCharset } from './charset.ts';
import { GatewayUnavailableError, gatewayGet, type GatewayClientOptions } from './gateway-client.ts';
import { buildGatewayRequest } from './request.ts';

export type ServerService = 'single_trade_query' | 'close_trade' | 'send_goods_confirm_by_platform' | 'refund_fastpay_by_platform_nopwd';

/** What the gateway answered: `<is_success>T</is_success>` (with the `<response>` children, if any), or an error code. */
export type ServerAnswer = (
  | { ok: true; response: Readonly<Record<string, string>> }
  | { ok: false; error: string }
) & {
  /** The answer's bytes, kept for audit like any message from Alipay. */
  raw: Buffer;
};

export type ServerAccount = Pick<MerchantAccount, 'partner' | 'key' | 'charset' | 'gatewayUrl'>;

// Every value stays text: a 28-digit trade_no read as a number would lose its last digits.
const parser = new XMLParser({ parseTagValue: false, parseAttributeValue: false, ignoreAttributes: true, trimValues: true, processEntities: true });

/** The URL of a signed call: service, partner and _input_charset added, the rest as given. */
export function serverCallUrl(service: ServerService, params: Readonly<Record<string, string>>, account: ServerAccount): string {
  const all = { service, partner: account.partner, _input_charset: account.charset, ...params };
  return buildGatewayRequest({ params: all, key: account.key, charset: account.charset, gatewayUrl: account.gatewayUrl }).url;
}

export async function callGateway(
  service: ServerService,
  params: Readonly<Record<string, string>>,
  account: ServerAccount,
  options: GatewayClientOptions = {},
): Promise<ServerAnswer> {
  const bytes = await gatewayGet(serverCallUrl(service, params, account), { ...options, gatewayUrl: account.gatewayUrl });
  return readServerAnswer(bytes, service);
}

/**
 * Reads `<alipay><is_success>T|F</is_success><error>…</error><response><trade>…</trade></response>…</alipay>`.
 * Anything else (an HTML error page, a truncated document) is transient: the caller answers or retries later.
 */
export function readServerAnswer(bytes: Buffer, service: string): ServerAnswer {
  let doc: unknown;
  try {
    doc = parser.parse(decodeText(bytes, declaredCharset(bytes)));
  } catch (err) {
    throw new GatewayUnavailableError(`${service} answered something that is not XML (${bytes.length} bytes): ${(err as Error).message}`, 'garbage');
  }
  const alipay = (doc as { alipay?: unknown })?.alipay;
  if (!isRecord(alipay) || (alipay.is_success !== 'T' && alipay.is_success !== 'F')) {
    throw new GatewayUnavailableError(`${service} answered XML without <alipay><is_success>T|F</is_success> (${bytes.length} bytes)`, 'garbage');
  }
  if (alipay.is_success === 'F') return { ok: false, error: typeof alipay.error === 'string' && alipay.error !== '' ? alipay.error : 'UNKNOWN_ERROR', raw: bytes };
  const response = isRecord(alipay.response) ? alipay.response : {};
  // single_trade_query wraps its fields in <trade>; the others answer no response at all.
  const inner = isRecord(response.trade) ? response.trade : response;
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(inner)) if (typeof value === 'string') fields[name] = value;
  return { ok: true, response: fields, raw: bytes };
}

/** The encoding named by the XML declaration (ASCII by definition), or UTF-8, which the protocol doc says Alipay uses. */
function declaredCharset(bytes: Buffer): Charset {
  const m = /^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']/.exec(bytes.subarray(0, 200).toString('latin1'));
  if (!m) return 'utf-8';
  try {
    return parseCharset(m[1]);
  } catch {
    return 'utf-8';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
