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
  return decodeRange(bytes, 0, bytes.length, { buffer: Buffer.allocUnsafe(bytes.length), used: 0 }, what);
}

/** Where escaped components are decoded to: one buffer per form (as long as its input), filled up to `used`. */
interface Scratch {
  buffer: Buffer;
  used: number;
}

// Decodes bytes[start, end); a component with escapes is written into the scratch buffer. Verifying a notification
// is a couple of microseconds of MD5, so this creates no Buffer but the view it returns, and names the component
// (`what`: a label, or the pair's number and, for a value, its name) only on error.
function decodeRange(bytes: Buffer, start: number, end: number, out: Scratch, what: string | number, name?: Buffer): Buffer {
  let i = start;
  while (i < end && bytes[i] !== PLUS && bytes[i] !== PERCENT) i++;
  if (i === end) return bytes.subarray(start, end);
  const scratch = out.buffer;
  const at = out.used;
  let n = at;
  for (let j = start; j < i; j++) scratch[n++] = bytes[j]!;
  for (; i < end; i++) {
    const b = bytes[i]!;
    if (b === PLUS) {
      scratch[n++] = SPACE;
    } else if (b === PERCENT) {
      const hi = i + 1 < end ? hexValue(bytes[i + 1]!) : -1;
      const lo = i + 2 < end ? hexValue(bytes[i + 2]!) : -1;
      if (hi < 0 || lo < 0) {
        const seen = bytes.toString('latin1', i, Math.min(i + 3, end));
        const label = typeof what === 'string' ? what : name ? `the value of "${name.toString('latin1')}"` : `parameter name #${what}`;
        throw new AlipayError('MALFORMED_FORM', `malformed percent-escape "${seen}" at byte ${i - start} of ${label}: "%" must be followed by two hex digits`);
      }
      scratch[n++] = hi * 16 + lo;
      i += 2;
    } else {
      scratch[n++] = b;
    }
  }
  out.used = n;
  return scratch.subarray(at, n);
}

/**
 * Calls `pair(name, value)` for each name=value of a form body or raw query string, in order, both percent-decoded
 * to bytes (views of the input where nothing was escaped). Empty segments (`a=1&&b=2`) are skipped.
 */
export function forEachFormPair(body: Uint8Array | string, pair: (name: Buffer, value: Buffer) => void): void {
  if (typeof body !== 'string') checkBytes(body, 'parseFormBytes');
  if (typeof body === 'string' && /[^\u0000-\u00ff]/.test(body)) {
    throw new AlipayError(
      'INVALID_INPUT',
      'parseFormBytes got a decoded JS string with non-Latin-1 characters: pass the raw body bytes (a Buffer) so the signature can be checked',
    );
  }
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let scratch: Scratch | undefined;
  let start = 0;
  let count = 0;
  const length = bytes.length;
  while (start <= length) {
    // One plain loop per pair finds its "=", its end and whether either side has escapes: a native call (indexOf)
    // per pair costs more than scanning its few bytes here, and most components are copied from nowhere.
    let eq = -1;
    let escapedName = false;
    let escapedValue = false;
    let end = start;
    for (; end < length; end++) {
      const b = bytes[end]!;
      if (b === AMP) break;
      if (b === EQ && eq < 0) eq = end;
      else if (b === PLUS || b === PERCENT) {
        if (eq < 0) escapedName = true;
        else escapedValue = true;
      }
    }
    if (end > start) {
      const nameEnd = eq < 0 ? end : eq;
      const valueStart = eq < 0 ? end : eq + 1;
      if ((escapedName || escapedValue) && !scratch) scratch = { buffer: Buffer.allocUnsafe(length), used: 0 };
      count++;
      const name = escapedName ? decodeRange(bytes, start, nameEnd, scratch!, count) : bytes.subarray(start, nameEnd);
      pair(name, escapedValue ? decodeRange(bytes, valueStart, end, scratch!, count, name) : bytes.subarray(valueStart, end));
    }
    start = end + 1;
  }
}

/** Parses a form body or raw query string into byte pairs, in order. Empty segments (`a=1&&b=2`) are skipped. */
export function parseFormBytes(body: Uint8Array | string): FormPair[] {
  const pairs: FormPair[] = [];
  forEachFormPair(body, (name, value) => pairs.push({ name, value }));
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
