// Reading a received notify body or return query string: bytes in, byte parameters for the signature, text for the rest.
import { type Charset, decodeText, isValidUtf8 } from './charset.ts';
import { parseFormBytes } from './form.ts';
import { type ByteParams, byteParamsFromForm } from './params.ts';

export interface ReceivedMessage {
  /** Exactly what arrived, for the signature check. */
  params: ByteParams;
  /** The charset the text was decoded with. */
  charset: Charset;
  /** Every parameter as text, for everything after the signature check. */
  fields: Readonly<Record<string, string>>;
}

/**
 * Parses a form body or query string. Text is decoded with `charsetHint` (the charset we asked for); when that is
 * utf-8 but the bytes are not valid UTF-8, the message is GBK — legacy Alipay sends GBK regardless on many accounts.
 */
export function readMessage(raw: Uint8Array | string, charsetHint: Charset): ReceivedMessage {
  const params = byteParamsFromForm(parseFormBytes(raw));
  const declared = params.get('_input_charset')?.toString('latin1').toLowerCase();
  let charset: Charset = declared === 'gbk' || declared === 'gb2312' ? 'gbk' : declared === 'utf-8' ? 'utf-8' : charsetHint;
  if (charset === 'utf-8' && ![...params.values()].every((v) => isValidUtf8(v))) charset = 'gbk';
  const fields: Record<string, string> = {};
  for (const [name, value] of params) fields[name] = decodeText(value, charset);
  return { params, charset, fields };
}
