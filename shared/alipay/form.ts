// application/x-www-form-urlencoded at the byte level, for both charsets.
// Values are decoded to BYTES, never to JS strings: a GBK notification must reach the signature check untouched.
import { AlipayError } from './errors.ts';
import { type Charset, encodeText } from './charset.ts';

/** One name=value pair as it arrived, percent-decoded to bytes. */
export interface FormPair {
  readonly name: Buffer;
  readonly value: Buffer;
}

const AMP = 0x26;
const EQ = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const SPACE = 0x20;

function checkBytes(input: unknown, fn: string): asserts input is Uint8Array {
  if (!(input instanceof Uint8Array)) {
    throw new AlipayError('INVALID_INPUT', `${fn} expects bytes (a Buffer or Uint8Array), got ${input === null ? 'null' : typeof input}`);
  }
}

function checkIterable(pairs: unknown, fn: string): void {
  if (pairs === null || typeof pairs !== 'object' || typeof (pairs as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new AlipayError('INVALID_INPUT', `${fn} expects a list of name/value pairs`);
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes one form component to bytes: `+` is a space, `%XX` a byte, every other byte stays as it is.
 * A `%` not followed by two hex digits is an error (silently keeping it would change what gets signed).
 * A component without escapes comes back as a view of the input, not a copy.
 */
export function percentDecodeBytes(input: Uint8Array, what = 'value'): Buffer {
  checkBytes(input, 'percentDecodeBytes');
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let i = 0;
  while (i < bytes.length && bytes[i] !== PLUS && bytes[i] !== PERCENT) i++;
  if (i === bytes.length) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  bytes.copy(out, 0, 0, i);
  let n = i;
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === PLUS) out[n++] = SPACE;
    else if (b !== PERCENT) out[n++] = b;
    else {
      const v = escapedByte(bytes, i);
      if (v < 0) throw malformedEscape(bytes, i, 0, [], what);
      out[n++] = v;
      i += 2;
    }
  }
  return out.subarray(0, n);
}

// The byte `%XX` at bytes[i] stands for, or -1. "&" and "=" are not hex digits, so this never reads past a component.
function escapedByte(bytes: Uint8Array, i: number): number {
  const hi = i + 1 < bytes.length ? hexValue(bytes[i + 1]!) : -1;
  const lo = i + 2 < bytes.length ? hexValue(bytes[i + 2]!) : -1;
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// The error for a bad escape at bytes[i] in the component starting at `start`, which ends at any of the `stops` bytes.
function malformedEscape(bytes: Buffer, i: number, start: number, stops: readonly number[], label: string): AlipayError {
  let end = i + 1;
  while (end < Math.min(i + 3, bytes.length) && !stops.includes(bytes[end]!)) end++;
  const seen = bytes.toString('latin1', i, end);
  return new AlipayError('MALFORMED_FORM', `malformed percent-escape "${seen}" at byte ${i - start} of ${label}: "%" must be followed by two hex digits`);
}

/**
 * A form body or raw query string, percent-decoded in one pass. `bytes` holds the decoded names and values with the
 * "=" and "&" between them; field i's name is bytes[at[5i], at[5i+1]), its value bytes[at[5i+2], at[5i+3]), and
 * at[5i+4] holds its FIELD_* flags. Fields keep their order; empty segments (`a=1&&b=2`) are not fields.
 * Verifying a notification is a couple of microseconds of MD5, so reading one makes no Buffer or string per field.
 */
export interface DecodedForm {
  readonly bytes: Buffer;
  readonly at: readonly number[];
  readonly count: number;
}

/** The name has a byte >= 0x80. */
export const FIELD_NAME_HIGH = 1;
/** The value has a byte >= 0x80 (it is not ASCII, so its charset matters). */
export const FIELD_VALUE_HIGH = 2;
/** The name holds an escaped "=" or "&". */
export const FIELD_NAME_SEPARATOR = 4;

/** Decodes a form body or raw query string; a malformed escape is a MALFORMED_FORM error naming where it is. */
export function decodeForm(body: Uint8Array | string): DecodedForm {
  if (typeof body !== 'string') checkBytes(body, 'parseFormBytes');
  if (typeof body === 'string' && /[^\u0000-\u00ff]/.test(body)) {
    throw new AlipayError(
      'INVALID_INPUT',
      'parseFormBytes got a decoded JS string with non-Latin-1 characters: pass the raw body bytes (a Buffer) so the signature can be checked',
    );
  }
  const src = typeof body === 'string' ? Buffer.from(body, 'latin1') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const length = src.length;
  // Decoding only shortens, so the output fits in the input's length.
  const out = Buffer.allocUnsafe(length);
  const at = scratch; // filled here, copied out once at the end
  let count = 0;
  let n = 0;
  let i = 0;
  while (i < length) {
    if (src[i] === AMP) {
      i++; // an empty segment
      continue;
    }
    if (count > 0) out[n++] = AMP;
    let flags = 0;
    const nameStart = n;
    const nameFrom = i;
    for (; i < length; i++) {
      let b = src[i]!;
      if (b === AMP || b === EQ) break;
      if (b === PLUS) b = SPACE;
      else if (b === PERCENT) {
        b = escapedByte(src, i);
        if (b < 0) throw malformedEscape(src, i, nameFrom, [AMP, EQ], `parameter name #${count + 1}`);
        if (b === EQ || b === AMP) flags |= FIELD_NAME_SEPARATOR;
        i += 2;
      }
      if (b >= 0x80) flags |= FIELD_NAME_HIGH;
      out[n++] = b;
    }
    const nameEnd = n;
    let valueStart = n;
    if (i < length && src[i] === EQ) {
      out[n++] = EQ;
      valueStart = n;
      const valueFrom = ++i;
      for (; i < length; i++) {
        let b = src[i]!;
        if (b === AMP) break;
        if (b === PLUS) b = SPACE;
        else if (b === PERCENT) {
          b = escapedByte(src, i);
          if (b < 0) throw malformedEscape(src, i, valueFrom, [AMP], `the value of "${out.toString('latin1', nameStart, nameEnd)}"`);
          i += 2;
        }
        if (b >= 0x80) flags |= FIELD_VALUE_HIGH;
        out[n++] = b;
      }
    }
    const slot = 5 * count++;
    if (slot + 5 > at.length) at.length = 2 * at.length; // a form longer than any seen so far
    at[slot] = nameStart;
    at[slot + 1] = nameEnd;
    at[slot + 2] = valueStart;
    at[slot + 3] = n;
    at[slot + 4] = flags;
    i++; // past the "&"
  }
  return { bytes: out.subarray(0, n), at: at.slice(0, 5 * count), count };
}

// decodeForm's field list while it reads one form, kept between calls (one call at a time: it never awaits).
const scratch: number[] = new Array(5 * 64).fill(0);

/** Field i's name bytes (a view). */
export function fieldName(form: DecodedForm, i: number): Buffer {
  return form.bytes.subarray(form.at[5 * i]!, form.at[5 * i + 1]!);
}

/** Field i's value bytes (a view). */
export function fieldValue(form: DecodedForm, i: number): Buffer {
  return form.bytes.subarray(form.at[5 * i + 2]!, form.at[5 * i + 3]!);
}

/** Parses a form body or raw query string into byte pairs, in order. Empty segments (`a=1&&b=2`) are skipped. */
export function parseFormBytes(body: Uint8Array | string): FormPair[] {
  const form = decodeForm(body);
  const pairs: FormPair[] = [];
  for (let i = 0; i < form.count; i++) pairs.push({ name: fieldName(form, i), value: fieldValue(form, i) });
  return pairs;
}

// The WHATWG form-urlencoded set: these bytes travel as themselves; space becomes '+'.
function isFormSafe(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
    b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f
  );
}

const HEX = '0123456789ABCDEF';

/** Percent-encodes bytes for a form body or query string (space as `+`, uppercase hex). */
export function percentEncodeBytes(bytes: Uint8Array): string {
  checkBytes(bytes, 'percentEncodeBytes');
  let out = '';
  for (const b of bytes) {
    if (isFormSafe(b)) out += String.fromCharCode(b);
    else if (b === SPACE) out += '+';
    else out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Encodes string pairs as a form body / query string, each value as bytes in `charset`. */
export function encodeForm(pairs: Iterable<readonly [string, string]>, charset: Charset): string {
  checkIterable(pairs, 'encodeForm');
  const parts: string[] = [];
  for (const pair of pairs) {
    if (!Array.isArray(pair)) throw new AlipayError('INVALID_INPUT', 'encodeForm expects [name, value] pairs of strings');
    const [name, value] = pair;
    parts.push(`${percentEncodeBytes(encodeText(name, charset, name))}=${percentEncodeBytes(encodeText(value, charset, name))}`);
  }
  return parts.join('&');
}

/** Encodes byte pairs (e.g. a received notification being replayed) as a form body. */
export function encodeFormBytes(pairs: Iterable<FormPair>): string {
  checkIterable(pairs, 'encodeFormBytes');
  const parts: string[] = [];
  for (const pair of pairs) {
    if (pair === null || typeof pair !== 'object') throw new AlipayError('INVALID_INPUT', 'encodeFormBytes expects { name, value } pairs of bytes');
    const { name, value } = pair;
    parts.push(`${percentEncodeBytes(name)}=${percentEncodeBytes(value)}`);
  }
  return parts.join('&');
}
