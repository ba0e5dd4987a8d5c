// Signed gateway requests: the redirect URL and the auto-submit form, for any service.
import { AlipayError } from './errors.ts';
import type { Charset } from './charset.ts';
import { encodeForm, percentEncodeBytes } from './form.ts';
import { signParams } from './sign.ts';
import { validatePaymentParams, type ServiceName } from './services.ts';
import { validateMd5Key, validatePartnerId, validateUrl } from './credentials.ts';
import { DEFAULT_GATEWAY_URL } from './account.ts';

export { DEFAULT_GATEWAY_URL };

export interface GatewayForm {
  action: string;
  method: 'POST';
  /** Every parameter, signed, as text; the browser must submit them in `acceptCharset`. */
  fields: Record<string, string>;
  acceptCharset: Charset;
}

export interface GatewayRequest {
  /** GET form of the request: every parameter in the query string, encoded in the request charset. */
  url: string;
  form: GatewayForm;
  /** The signed string (without the key), for logs and diagnostics. */
  presign: string;
}

const FIRST = ['service', 'partner', '_input_charset'];

/** Signs `params` (which must already carry service, partner and _input_charset) and builds URL and form. */
export function buildGatewayRequest(input: {
  params: Readonly<Record<string, string>>;
  key: string;
  charset: Charset;
  gatewayUrl?: string;
}): GatewayRequest {
  const { params, key, charset } = input;
  const gatewayUrl = validateUrl(input.gatewayUrl ?? DEFAULT_GATEWAY_URL, 'gatewayUrl', { allowQuery: false });
  if (params._input_charset !== charset) {
    throw new AlipayError('CONFLICTING_PARAMETERS', `_input_charset must be "${charset}" to match the request encoding`, '_input_charset');
  }
  const sendable = Object.entries(params).filter(([k, v]) => k !== 'sign' && k !== 'sign_type' && v !== '');
  sendable.sort(([a], [b]) => rank(a) - rank(b));
  const { presign, sign } = signParams(Object.fromEntries(sendable), key, charset);
  const fields: Record<string, string> = Object.fromEntries([...sendable, ['sign', sign], ['sign_type', 'MD5']]);
  const query = encodeForm(Object.entries(fields), charset);
  // When a form is POSTed, Alipay reads the body's charset from the URL: without it Chinese text turns into ILLEGAL_SIGN.
  const action = `${gatewayUrl}?_input_charset=${percentEncodeBytes(Buffer.from(charset))}`;
  return { url: `${gatewayUrl}?${query}`, form: { action, method: 'POST', fields, acceptCharset: charset }, presign };
}

function rank(name: string): number {
  const i = FIRST.indexOf(name);
  return i < 0 ? FIRST.length : i;
}

export interface PaymentRequestInput {
  service: ServiceName;
  /** Business parameters in Alipay's names (out_trade_no, subject, total_fee, …), amounts as yuan strings. */
  params: Readonly<Record<string, unknown>>;
  partner: string;
  key: string;
  charset: Charset;
  notifyUrl?: string;
  returnUrl?: string;
  /** Defaults to the partner: the signing account receives the money. */
  sellerId?: string;
  gatewayUrl?: string;
}

/** Validates a payment service request against its spec and adds the common parameters: what will be signed and sent. */
export function paymentParams(input: Omit<PaymentRequestInput, 'gatewayUrl'>): Record<string, string> {
  const partner = validatePartnerId(input.partner);
  validateMd5Key(input.key);
  for (const k of ['service', 'partner', '_input_charset', 'payment_type', 'notify_url', 'return_url', 'sign', 'sign_type']) {
    if (input.params[k] !== undefined) {
      throw new AlipayError('INVALID_PARAMETER', `${k} is set by the request builder from configuration; remove it from the parameters`, k);
    }
  }
  const hasSeller = ['seller_id', 'seller_email', 'seller_account_name'].some((k) => input.params[k] !== undefined);
  const merged: Record<string, unknown> = {
    service: input.service,
    partner,
    _input_charset: input.charset,
    payment_type: '1',
    ...(input.notifyUrl === undefined ? {} : { notify_url: input.notifyUrl }),
    ...(input.returnUrl === undefined ? {} : { return_url: input.returnUrl }),
    ...(hasSeller ? {} : { seller_id: input.sellerId ?? partner }),
    ...input.params,
  };
  return validatePaymentParams(merged, input.charset);
}

/** Validates a payment service request against its spec, adds the common parameters, signs it. */
export function buildPaymentRequest(input: PaymentRequestInput): GatewayRequest & { params: Record<string, string> } {
  const params = paymentParams(input);
  const request = buildGatewayRequest({ params, key: input.key, charset: input.charset, gatewayUrl: input.gatewayUrl });
  return { ...request, params };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * An HTML page that posts the form to the gateway. Values are HTML-escaped (the browser unescapes them, so the
 * signed value arrives intact) and accept-charset makes the browser encode them in the request charset.
 */
export function renderAutoSubmitForm(form: GatewayForm, title = 'Redirecting to Alipay…'): string {
  const inputs = Object.entries(form.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<form id="alipaysubmit" action="${escapeHtml(form.action)}" method="${form.method}" accept-charset="${form.acceptCharset}">
${inputs}
<noscript><button type="submit">Continue to Alipay / 前往支付宝</button></noscript>
</form>
<script>document.getElementById('alipaysubmit').submit();</script>
</body></html>`;
}
