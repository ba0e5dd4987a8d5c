// The charsets the gateway reads and writes, as the protocol doc names them (§1 step 5, §2.1, §6 ILLEGAL_CHARSET):
// utf-8 and gbk, with gb2312 read as gbk (GBK is its superset). The sandbox's own, so it cannot share the product's mistakes.
import iconv from 'iconv-lite';

export type Charset = 'utf-8' | 'gbk';

const NAMES: ReadonlyMap<string, Charset> = new Map([['utf-8', 'utf-8'], ['gbk', 'gbk'], ['gb2312', 'gbk']]);

/** The charset an `_input_charset` value names, in any case; undefined for a name Alipay answers ILLEGAL_CHARSET to. */
export const charsetNamed = (name: string): Charset | undefined => NAMES.get(name.toLowerCase());

/** Text as bytes in the charset; throws for text the charset cannot hold (iconv-lite would quietly write `?`). */
export function encodeText(text: string, charset: Charset): Buffer {
  // Half a surrogate pair is no character at all; Buffer.from would quietly write U+FFFD.
  if (/\p{Cs}/u.test(text)) throw new Error(`the text has half a surrogate pair: ${JSON.stringify(text.slice(0, 40))}`);
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  const bytes = iconv.encode(text, 'gbk');
  if (iconv.decode(bytes, 'gbk') !== text) throw new Error(`the text cannot be written in GBK: ${JSON.stringify(text.slice(0, 40))}`);
  return bytes;
}

/** Bytes as text. Invalid UTF-8 is an error rather than U+FFFD: it would otherwise pass as other text. */
export function decodeText(bytes: Uint8Array, charset: Charset): string {
  if (charset === 'gbk') return iconv.decode(Buffer.from(bytes), 'gbk');
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}
