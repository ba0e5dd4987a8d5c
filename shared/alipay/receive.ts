// Receiving a notify body or return query string: bytes -> parameters as bytes -> the signature over those bytes
// -> a verified message. Nothing here decodes to text before the signature is checked.
import { type Charset, decodeText, isValidUtf8 } from './charset.ts';
import { isAlipayError } from './errors.ts';
import { parseFormBytes } from './form.ts';
import { isOutTradeNo } from './services.ts';
import { type ByteParams, byteParamsFromBody } from './params.ts';
import { verifyBytes, type VerifyFailure } from './sign.ts';

/** A message whose signature matched our key. */
export interface VerifiedMessage {
  /** Every parameter as text, decoded in `charset`. */
  fields: Readonly<Record<string, string>>;
  charset: Charset;
}

export type Refusal = 'malformed' | VerifyFailure;
export type Received = { ok: true; message: VerifiedMessage } | { ok: false; reason: Refusal; detail: string };

/**
 * Reads and verifies a form body or raw query string. Text is decoded with `charsetHint` (the charset we asked for);
 * when that is utf-8 but the bytes are not valid UTF-8 the message is GBK: legacy Alipay sends GBK regardless on many
 * accounts. A refusal says why, in words a merchant can act on; it never includes the key.
 */
export function receiveMessage(raw: Uint8Array, key: string, charsetHint: Charset): Received {
  let params: ByteParams;
  try {
    params = byteParamsFromBody(raw);
  } catch (err) {
    if (isAlipayError(err)) return { ok: false, reason: 'malformed', detail: err.message };
    throw err;
  }
  if (params.size === 0) return { ok: false, reason: 'malformed', detail: 'the message has no parameters' };
  for (const name of params.keys()) {
    // A name holding "=" or "&" (percent-encoded) rewrites the presign's structure: no genuine message has one.
    if (/[=&]/.test(name)) return { ok: false, reason: 'malformed', detail: 'a parameter name contains "=" or "&"' };
  }
  const verdict = verifyBytes(params, key);
  if (!verdict.valid) return { ok: false, reason: verdict.reason, detail: verdict.message };
  const charset = charsetOf(params, charsetHint);
  const fields: Record<string, string> = {};
  for (const [name, value] of params) fields[name] = decodeText(value, charset);
  return { ok: true, message: { fields, charset } };
}

function charsetOf(params: ByteParams, hint: Charset): Charset {
  const declared = params.get('_input_charset')?.toString('latin1').toLowerCase();
  const charset: Charset = declared === 'gbk' || declared === 'gb2312' ? 'gbk' : declared === 'utf-8' ? 'utf-8' : hint;
  if (charset === 'utf-8' && ![...params.values()].every((v) => isValidUtf8(v))) return 'gbk';
  return charset;
}

/**
 * The out_trade_no a message claims, read WITHOUT verifying it: only to tell a buyer which order an unverifiable
 * link named, never to act on. Undefined when the message is unreadable or the value is not an out_trade_no.
 */
export function claimedOutTradeNo(raw: Uint8Array): string | undefined {
  try {
    const pair = parseFormBytes(raw).find((p) => p.name.toString('latin1') === 'out_trade_no');
    const value = pair?.value.toString('latin1');
    return value !== undefined && isOutTradeNo(value) ? value : undefined;
  } catch (err) {
    if (isAlipayError(err)) return undefined;
    throw err;
  }
}
