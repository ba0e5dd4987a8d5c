// The two charsets the gateway speaks (utf-8, gbk): text <-> bytes, strictly, so nothing is silently replaced by '?'.
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { AlipayError } from './errors.ts';

export type Charset = 'utf-8' | 'gbk';
export const CHARSETS: readonly Charset[] = ['utf-8', 'gbk'];

/**
 * Reads a charset name as Alipay writes it (`utf-8`, `UTF-8`, `gbk`, `GBK`).
 * gb2312 is accepted as gbk: GBK is a superset and Alipay treats them alike.
 */
export function parseCharset(value: unknown, field = '_input_charset'): Charset {
  if (typeof value !== 'string') {
    throw new AlipayError('UNSUPPORTED_CHARSET', `${field} must be a string "utf-8" or "gbk"`, field);
  }
  const v = value.toLowerCase();
  if (v === 'utf-8' || v === 'utf8') return 'utf-8';
  if (v === 'gbk' || v === 'gb2312' || v === 'cp936') return 'gbk';
  throw new AlipayError(
    'UNSUPPORTED_CHARSET',
    `${field} "${value}" is not supported: use "utf-8" or "gbk" (Alipay answers ILLEGAL_CHARSET for anything else)`,
    field,
  );
}

// A name that slipped past parseCharset (e.g. "UTF-8") must not fall through to the GBK branch.
function checkCharset(charset: unknown): asserts charset is Charset {
  if (charset !== 'utf-8' && charset !== 'gbk') {
    throw new AlipayError('UNSUPPORTED_CHARSET', `charset must be "utf-8" or "gbk" (read names with parseCharset), got ${String(charset)}`);
  }
}

function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new AlipayError('INVALID_INPUT', `expected bytes (a Buffer or Uint8Array), got ${bytes === null ? 'null' : typeof bytes}`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text to bytes in the charset; throws UNENCODABLE_TEXT naming the first character the charset cannot hold. */
export function encodeText(text: string, charset: Charset, field?: string): Buffer {
  if (typeof text !== 'string') {
    throw new AlipayError('INVALID_INPUT', `${field ?? 'value'} must be a string, got ${typeof text}`, field);
  }
  checkCharset(charset);
  const where = field === undefined ? '' : ` in ${field}`;
  const bad = LONE_SURROGATE.exec(text);
  if (bad) {
    throw new AlipayError('UNENCODABLE_TEXT', `broken UTF-16 (lone surrogate) at index ${bad.index}${where}`, field);
  }
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  const bytes = iconv.encode(text, 'gbk');
  // iconv-lite writes '?' for characters GBK lacks (and truncated bytes for a lone U+E7C7); find the first one so the caller can say which.
  if (iconv.decode(bytes, 'gbk') !== text) {
    let i = 0;
    for (const ch of text) {
      if (ch !== '?' && iconv.decode(iconv.encode(ch, 'gbk'), 'gbk') !== ch) {
        const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        throw new AlipayError(
          'UNENCODABLE_TEXT',
          `"${ch}" (U+${cp}) at index ${i}${where} cannot be written in GBK: remove it or use _input_charset=utf-8`,
          field,
        );
      }
      i += ch.length;
    }
  }
  return bytes;
}

/** Bytes to text. UTF-8 is decoded strictly: invalid bytes are an error, not U+FFFD. */
export function decodeText(bytes: Uint8Array, charset: Charset): string {
  checkBytes(bytes);
  checkCharset(charset);
  // ASCII reads the same in both charsets, and most values of a notification are ASCII.
  if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (charset === 'utf-8') {
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new AlipayError('UNENCODABLE_TEXT', 'bytes are not valid UTF-8 (is the message GBK-encoded?)');
    }
  }
  return iconv.decode(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), 'gbk');
}

// One decoder for every call: without { stream: true } each decode() starts afresh, so sharing it is safe.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when the bytes are well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  checkBytes(bytes);
  return isUtf8(bytes);
}
