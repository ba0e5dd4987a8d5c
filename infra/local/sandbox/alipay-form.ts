// Query strings and form bodies at the byte level: values are percent-decoded to BYTES, because the signature is over
// the bytes in the request's charset (protocol doc §3.3) and a GBK value must reach it untouched.
import { type Charset, encodeText } from './alipay-charset.ts';

export interface FormPair {
  readonly name: Buffer;
  readonly value: Buffer;
}

const hexDigit = (b: number | undefined): number => {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
};

/** `+` is a space and `%XX` a byte; a `%` without two hex digits is refused, since guessing would change what is signed. */
function percentDecode(raw: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x2b) {
      out.push(0x20);
    } else if (b === 0x25) {
      const hi = hexDigit(raw[i + 1]);
      const lo = hexDigit(raw[i + 2]);
      if (hi < 0 || lo < 0) throw new Error(`"${raw.subarray(i, i + 3).toString('latin1')}" at byte ${i} is not a percent-escape (% and two hex digits)`);
      out.push(hi * 16 + lo);
      i += 2;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/** The name=value pairs of a query string or form body, in order; empty segments (`a=1&&b=2`) are skipped. */
export function parseForm(bytes: Buffer): FormPair[] {
  const pairs: FormPair[] = [];
  let start = 0;
  while (start < bytes.length) {
    const amp = bytes.indexOf(0x26, start);
    const end = amp < 0 ? bytes.length : amp;
    const segment = bytes.subarray(start, end);
    if (segment.length > 0) {
      const eq = segment.indexOf(0x3d);
      const name = percentDecode(eq < 0 ? segment : segment.subarray(0, eq));
      pairs.push({ name, value: percentDecode(eq < 0 ? Buffer.alloc(0) : segment.subarray(eq + 1)) });
    }
    start = end + 1;
  }
  return pairs;
}

// The bytes Java's URLEncoder leaves as they are (Alipay runs on Java); every other byte is %XX, a space is '+'.
const PLAIN = /^[A-Za-z0-9.*_-]$/;

function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += PLAIN.test(c) ? c : b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `name=value&…` with each name and value written as bytes in the charset, then percent-encoded. */
export function encodeForm(pairs: Iterable<readonly [string, string]>, charset: Charset): string {
  return [...pairs].map(([name, value]) => `${percentEncode(encodeText(name, charset))}=${percentEncode(encodeText(value, charset))}`).join('&');
}
