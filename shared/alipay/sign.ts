// The legacy MD5 signature: presign = sorted k=v& of raw values (minus sign, sign_type, empty values), md5(presign + key).
import { createHash } from 'node:crypto';
import { AlipayError } from './errors.ts';
import { type Charset, decodeText, encodeText } from './charset.ts';
import { type DecodedForm } from './form.ts';
import { type ByteParams, byteParamsFromStrings } from './params.ts';

const UNSIGNED = ['sign', 'sign_type'] as const;
/** Parameters never signed. */
export const UNSIGNED_PARAMS: ReadonlySet<string> = new Set(UNSIGNED);

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
  const form = formOfParams(params);
  return signedFields(form).map((i) => form.bytes.toString('latin1', form.at[5 * i]!, form.at[5 * i + 1]!));
}

/** The exact bytes that get hashed before the key: `k1=v1&k2=v2…`, raw values, no URL-encoding. */
export function presignBytes(params: ByteParams, names?: readonly string[]): Buffer {
  checkParams(params);
  if (names === undefined) {
    const form = formOfParams(params);
    return presignOf(form, fieldOrder(form), true, ...unsignedPlaces(form));
  }
  // The given names in the given order (explain.ts tries the orders and selections other signers use).
  const form = formOfParams(params, names);
  return presignOf(form, names.map((_, i) => i), false);
}

// Parameters as a DecodedForm (the shape a received message is verified in), in map order or in the order of `names`.
function formOfParams(params: ByteParams, names: readonly string[] = [...params.keys()]): DecodedForm {
  let length = 0;
  for (const name of names) {
    const value = params.get(name);
    if (value === undefined) throw new AlipayError('INVALID_INPUT', `presign: no parameter "${name}"`, name);
    length += name.length + value.length + 2;
  }
  const bytes = Buffer.allocUnsafe(length);
  const at: number[] = [];
  let n = 0;
  for (const name of names) {
    const value = params.get(name)!;
    const nameStart = n;
    n += bytes.write(name, n, 'latin1');
    const nameEnd = n;
    bytes[n++] = 0x3d; // =
    n += value.length === 0 ? 0 : Buffer.from(value.buffer, value.byteOffset, value.length).copy(bytes, n);
    at.push(nameStart, nameEnd, nameEnd + 1, n, 0);
    bytes[n++] = 0x26; // &
  }
  return { bytes: bytes.subarray(0, n), at, count: names.length };
}

// Byte order of the names of fields a and b.
function compareNames(bytes: Buffer, at: readonly number[], a: number, b: number): number {
  let i = at[5 * a]!;
  let j = at[5 * b]!;
  const iEnd = at[5 * a + 1]!;
  const jEnd = at[5 * b + 1]!;
  for (; i < iEnd && j < jEnd; i++, j++) {
    const d = bytes[i]! - bytes[j]!;
    if (d !== 0) return d;
  }
  return iEnd - i - (jEnd - j);
}

/**
 * The form's fields in byte order of their names. A name given twice or an empty name is a MALFORMED_FORM error:
 * which of two values would the signature be over?
 */
export function fieldOrder(form: DecodedForm): number[] {
  const { bytes, at, count } = form;
  const order: number[] = new Array(count);
  // Each name's first four bytes as one number: most comparisons end there, without a loop over the bytes.
  const keys: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const start = at[5 * i]!;
    const length = at[5 * i + 1]! - start;
    if (length === 0) throw new AlipayError('MALFORMED_FORM', 'a parameter has an empty name');
    keys[i] = (bytes[start]! * 0x1000000) + (length > 1 ? bytes[start + 1]! << 16 : 0) + (length > 2 ? bytes[start + 2]! << 8 : 0) + (length > 3 ? bytes[start + 3]! : 0);
    order[i] = i;
  }
  if (count > 32) order.sort((a, b) => keys[a]! - keys[b]! || compareNames(bytes, at, a, b));
  else {
    // Insertion sort: a notification has about twenty fields, often nearly in order already.
    for (let k = 1; k < count; k++) {
      const field = order[k]!;
      let j = k - 1;
      while (j >= 0 && (keys[order[j]!]! - keys[field]! || compareNames(bytes, at, order[j]!, field)) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = field;
    }
  }
  for (let k = 1; k < count; k++) {
    if (compareNames(bytes, at, order[k - 1]!, order[k]!) === 0) {
      const name = bytes.toString('latin1', at[5 * order[k]!]!, at[5 * order[k]! + 1]!);
      throw new AlipayError('MALFORMED_FORM', `parameter "${name}" appears more than once`, name);
    }
  }
  return order;
}

// True when bytes[start, end) are the ASCII `text`.
function bytesAre(bytes: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let k = 0; k < text.length; k++) if (bytes[start + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** The first field named `name` (ASCII), or -1. */
export function findField(form: DecodedForm, name: string): number {
  for (let i = 0; i < form.count; i++) if (bytesAre(form.bytes, form.at[5 * i]!, form.at[5 * i + 1]!, name)) return i;
  return -1;
}

// Where sign and sign_type are in the form (-1: absent); a name is never given twice here (fieldOrder refuses that).
function unsignedPlaces(form: DecodedForm): [sign: number, signType: number] {
  return [findField(form, UNSIGNED[0]), findField(form, UNSIGNED[1])];
}

// Whether field i is signed: every one but sign and sign_type (at their places `sign` and `signType`, see
// unsignedPlaces), and not those with an empty value.
function isSigned(form: DecodedForm, i: number, sign: number, signType: number): boolean {
  return i !== sign && i !== signType && form.at[5 * i + 3]! > form.at[5 * i + 2]!;
}

/** The signed fields of a form, in byte order of their names. */
function signedFields(form: DecodedForm): number[] {
  const [sign, signType] = unsignedPlaces(form);
  return fieldOrder(form).filter((i) => isSigned(form, i, sign, signType));
}

// `name=value` of the fields in `order`, joined by "&", in one buffer filled by a plain loop: a Buffer (or a native
// call) per field costs more than the MD5 itself. With `signedOnly`, only the signed ones (sign and sign_type at their
// places `sign` and `signType`). A field's name, "=" and value lie together in the form's bytes whenever its value is
// not empty (and always in a form made from parameters), so each is one range.
function presignOf(form: DecodedForm, order: readonly number[], signedOnly: boolean, sign = -1, signType = -1): Buffer {
  const { bytes, at } = form;
  let length = -1;
  for (const i of order) if (!signedOnly || isSigned(form, i, sign, signType)) length += at[5 * i + 3]! - at[5 * i]! + 1;
  const out = Buffer.allocUnsafe(Math.max(0, length));
  let n = 0;
  for (const i of order) {
    if (signedOnly && !isSigned(form, i, sign, signType)) continue;
    if (n > 0) out[n++] = 0x26; // &
    for (let j = at[5 * i]!, end = at[5 * i + 3]!; j < end; j++) out[n++] = bytes[j]!;
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

/**
 * Checks `sign` over the received bytes. Only sign_type=MD5 is accepted: anything else could be a downgrade.
 * The comparison is constant-time.
 */
export function verifyBytes(params: ByteParams, key: string): VerifyResult {
  checkKey(key);
  checkParams(params);
  return verifyForm(formOfParams(params), key);
}

// 0-15 for a lowercase hex digit, -1 for anything else (Alipay writes the sign in lowercase).
function lowerHex(b: number): number {
  return b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1;
}

/**
 * Checks `sign` over a decoded form, as received. A name given twice (or empty) is a MALFORMED_FORM error, not a
 * verdict: the message cannot be read. Only sign_type=MD5 is accepted; the comparison is constant-time.
 */
export function verifyForm(form: DecodedForm, key: string): VerifyResult {
  checkKey(key);
  const order = fieldOrder(form);
  const { bytes, at } = form;
  const [sign, signType] = unsignedPlaces(form);
  if (sign < 0 || at[5 * sign + 3] === at[5 * sign + 2]) {
    return { valid: false, reason: 'missing_sign', message: 'no "sign" parameter: the message is unsigned' };
  }
  if (signType < 0 || at[5 * signType + 3] === at[5 * signType + 2]) {
    return { valid: false, reason: 'missing_sign_type', message: 'no "sign_type" parameter (expected "MD5")' };
  }
  if (!bytesAre(bytes, at[5 * signType + 2]!, at[5 * signType + 3]!, 'MD5')) {
    return {
      valid: false,
      reason: 'unsupported_sign_type',
      message: `sign_type "${bytes.toString('latin1', at[5 * signType + 2]!, at[5 * signType + 3]!)}" is not accepted: only "MD5" (upper case) is, so a message cannot choose a weaker check`,
    };
  }
  const signStart = at[5 * sign + 2]!;
  const signLength = at[5 * sign + 3]! - signStart;
  let wellFormed = signLength === 32;
  for (let k = 0; wellFormed && k < 32; k++) wellFormed = lowerHex(bytes[signStart + k]!) >= 0;
  if (!wellFormed) {
    return {
      valid: false,
      reason: 'malformed_sign',
      message: `sign is not 32 lowercase hex characters (got ${signLength} characters)`,
    };
  }
  // The key is ASCII by format, so its bytes are the same in either charset.
  const expected = createHash('md5').update(presignOf(form, order, true, sign, signType)).update(keyBytes(key)).digest();
  // Constant-time: every byte is compared whatever the first difference.
  let difference = 0;
  for (let k = 0; k < 16; k++) {
    difference |= expected[k]! ^ (lowerHex(bytes[signStart + 2 * k]!) * 16 + lowerHex(bytes[signStart + 2 * k + 1]!));
  }
  if (difference !== 0) {
    return { valid: false, reason: 'mismatch', message: 'sign does not match the parameters and key' };
  }
  return { valid: true };
}
