// The legacy MD5 signature: presign = sorted k=v& of raw values (minus sign, sign_type, empty values), md5(presign + key).
import { createHash, timingSafeEqual } from 'node:crypto';
import { AlipayError } from './errors.ts';
import { type Charset, decodeText, encodeText } from './charset.ts';
import { type ByteParams, byteParamsFromStrings } from './params.ts';

/** Parameters never signed. */
export const UNSIGNED_PARAMS: ReadonlySet<string> = new Set(['sign', 'sign_type']);

function checkParams(params: unknown): asserts params is ByteParams {
  if (!(params instanceof Map)) throw new AlipayError('INVALID_INPUT', 'parameters must be a Map of name -> bytes (ByteParams)');
  // forEach, not for…of: no [name, value] array per entry on every notification.
  params.forEach((value: unknown, name: unknown) => {
    if (!(value instanceof Uint8Array)) {
      throw new AlipayError('INVALID_INPUT', `parameter "${String(name)}" must be bytes (a Buffer), got ${typeof value}`, String(name));
    }
  });
}

/** Names that take part in the signature, in byte order. */
export function signedNames(params: ByteParams): string[] {
  checkParams(params);
  return namesToSign(params);
}

function namesToSign(params: ByteParams): string[] {
  const names: string[] = [];
  params.forEach((value, name) => {
    if (value.length > 0 && !UNSIGNED_PARAMS.has(name)) names.push(name);
  });
  // Names are Latin-1 views of bytes, so UTF-16 code-unit order is byte order ('A' < '_' < 'a', 'a10' < 'a2').
  // The default sort compares code units, the same order, without a call per comparison.
  return names.sort();
}

/** The exact bytes that get hashed before the key: `k1=v1&k2=v2…`, raw values, no URL-encoding. */
export function presignBytes(params: ByteParams, names: readonly string[] = signedNames(params)): Buffer {
  // One buffer filled by plain loops: a Buffer (or a native call) per name, "=" and "&" cost more than the MD5 itself.
  const values: Buffer[] = new Array(names.length);
  let length = names.length > 0 ? names.length - 1 : 0;
  for (let k = 0; k < names.length; k++) {
    const value = params.get(names[k]!)!;
    values[k] = value;
    length += names[k]!.length + 1 + value.length;
  }
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    if (at > 0) out[at++] = 0x26; // &
    for (let i = 0; i < name.length; i++) out[at++] = name.charCodeAt(i); // Latin-1: one byte per code unit
    out[at++] = 0x3d; // =
    const value = values[k]!;
    for (let i = 0; i < value.length; i++) out[at++] = value[i]!;
  }
  return out;
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') {
    throw new AlipayError('INVALID_INPUT', 'the MD5 key must be a non-empty string', 'key');
  }
}

// The key's bytes, kept for the next message: it is ASCII by format, so the same in either charset.
let lastKey: { key: string; bytes: Buffer } | undefined;
function keyBytes(key: string): Buffer {
  if (lastKey?.key !== key) lastKey = { key, bytes: encodeText(key, 'utf-8', 'key') };
  return lastKey.bytes;
}

/** md5(presign + key) as 32 lowercase hex characters. The key is appended with no separator (no "&key="). */
export function md5Hex(presign: Uint8Array, key: string, charset: Charset = 'utf-8'): string {
  checkKey(key);
  if (!(presign instanceof Uint8Array)) throw new AlipayError('INVALID_INPUT', 'the presign must be bytes (see presignBytes)');
  return createHash('md5').update(presign).update(encodeText(key, charset, 'key')).digest('hex');
}

/** Signs byte parameters. */
export function signBytes(params: ByteParams, key: string, charset: Charset = 'utf-8'): string {
  return md5Hex(presignBytes(params), key, charset);
}

export interface Signed {
  /** The presign string as text (the key is not part of it). */
  presign: string;
  sign: string;
}

/** Signs string parameters as they will be sent in `charset`. */
export function signParams(params: Readonly<Record<string, string>>, key: string, charset: Charset): Signed {
  checkKey(key);
  const bytes = byteParamsFromStrings(params, charset);
  const pre = presignBytes(bytes);
  return { presign: decodeText(pre, charset), sign: md5Hex(pre, key, charset) };
}

export type VerifyFailure =
  | 'missing_sign'
  | 'missing_sign_type'
  | 'unsupported_sign_type'
  | 'malformed_sign'
  | 'mismatch';

export type VerifyResult = { valid: true } | { valid: false; reason: VerifyFailure; message: string };

const SIGN_FORMAT = /^[0-9a-f]{32}$/;

/**
 * Checks `sign` over the received bytes. Only sign_type=MD5 is accepted: anything else could be a downgrade.
 * The comparison is constant-time.
 */
export function verifyBytes(params: ByteParams, key: string): VerifyResult {
  checkKey(key);
  checkParams(params);
  const signType = params.get('sign_type');
  const sign = params.get('sign');
  if (sign === undefined || sign.length === 0) {
    return { valid: false, reason: 'missing_sign', message: 'no "sign" parameter: the message is unsigned' };
  }
  if (signType === undefined || signType.length === 0) {
    return { valid: false, reason: 'missing_sign_type', message: 'no "sign_type" parameter (expected "MD5")' };
  }
  const st = signType.toString('latin1');
  if (st !== 'MD5') {
    return {
      valid: false,
      reason: 'unsupported_sign_type',
      message: `sign_type "${st}" is not accepted: only "MD5" (upper case) is, so a message cannot choose a weaker check`,
    };
  }
  const received = sign.toString('latin1');
  if (!SIGN_FORMAT.test(received)) {
    return {
      valid: false,
      reason: 'malformed_sign',
      message: `sign is not 32 lowercase hex characters (got ${received.length} characters)`,
    };
  }
  // The key is ASCII by format, so its bytes are the same in either charset.
  const expected = createHash('md5').update(presignBytes(params, namesToSign(params))).update(keyBytes(key)).digest();
  if (!timingSafeEqual(expected, Buffer.from(received, 'hex'))) {
    return { valid: false, reason: 'mismatch', message: 'sign does not match the parameters and key' };
  }
  return { valid: true };
}
