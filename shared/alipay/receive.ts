// Receiving a notify body or return query string: bytes -> parameters as bytes -> the signature over those bytes
// -> a verified message. Nothing here decodes to text before the signature is checked.
import { type Charset, decodeText, isValidUtf8 } from './charset.ts';
import { isAlipayError } from './errors.ts';
import { type DecodedForm, decodeForm, FIELD_NAME_SEPARATOR, FIELD_VALUE_HIGH, fieldValue, parseFormBytes } from './form.ts';
import { isOutTradeNo } from './identifiers.ts';
import { findField, verifyForm, type VerifyFailure, type VerifyResult } from './sign.ts';

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
  let form: DecodedForm;
  let verdict: VerifyResult;
  try {
    form = decodeForm(raw);
    if (form.count === 0) return { ok: false, reason: 'malformed', detail: 'the message has no parameters' };
    for (let i = 0; i < form.count; i++) {
      // A name holding "=" or "&" (percent-encoded) rewrites the presign's structure: no genuine message has one.
      if (form.at[5 * i + 4]! & FIELD_NAME_SEPARATOR) return { ok: false, reason: 'malformed', detail: 'a parameter name contains "=" or "&"' };
    }
    verdict = verifyForm(form, key); // a name given twice cannot be read, so it throws
  } catch (err) {
    if (isAlipayError(err)) return { ok: false, reason: 'malformed', detail: err.message };
    throw err;
  }
  if (!verdict.valid) return { ok: false, reason: verdict.reason, detail: verdict.message };
  const charset = charsetOf(form, charsetHint);
  // Names and ASCII values are read from one Latin-1 string of the whole form; only other values need their charset.
  const text = form.bytes.toString('latin1');
  const fields: Record<string, string> = {};
  for (let i = 0, at = form.at; i < form.count; i++) {
    fields[text.slice(at[5 * i]!, at[5 * i + 1]!)] = at[5 * i + 4]! & FIELD_VALUE_HIGH
      ? decodeText(fieldValue(form, i), charset)
      : text.slice(at[5 * i + 2]!, at[5 * i + 3]!);
  }
  return { ok: true, message: { fields, charset } };
}

function charsetOf(form: DecodedForm, hint: Charset): Charset {
  const i = findField(form, '_input_charset');
  const declared = i < 0 ? undefined : fieldValue(form, i).toString('latin1').toLowerCase();
  const charset: Charset = declared === 'gbk' || declared === 'gb2312' ? 'gbk' : declared === 'utf-8' ? 'utf-8' : hint;
  if (charset === 'utf-8') {
    for (let f = 0; f < form.count; f++) {
      if (form.at[5 * f + 4]! & FIELD_VALUE_HIGH && !isValidUtf8(fieldValue(form, f))) return 'gbk';
    }
  }
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
