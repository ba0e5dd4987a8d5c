// Stored event records for a person to read: the raw bytes decoded in their charset (UTF-8, or GBK when they are not
// valid UTF-8); a notify body or return query as its fields, anything else (an XML answer) as text.
import { type Charset, decodeText, isValidUtf8 } from '../../shared/alipay/charset.ts';
import { parseFormBytes } from '../../shared/alipay/form.ts';
import type { EventRecord } from '../../shared/payments/store-port.ts';
import { fields } from './order-text.ts';

export interface DecodedMessage {
  charset: Charset;
  /** A form (notify body, return query string): its parameters in order, decoded. */
  fields?: [string, string][];
  /** Anything else, decoded. */
  text?: string;
}

const charsetOf = (bytes: Uint8Array[]): Charset => (bytes.every((b) => isValidUtf8(b)) ? 'utf-8' : 'gbk');

export function decodeMessage(record: EventRecord): DecodedMessage {
  if (record.source === 'notify' || record.source === 'return') {
    try {
      const pairs = parseFormBytes(record.raw);
      const declared = pairs.find((p) => p.name.toString('latin1') === '_input_charset')?.value.toString('latin1').toLowerCase();
      const charset: Charset = declared === 'gbk' || declared === 'gb2312' ? 'gbk' : charsetOf(pairs.flatMap((p) => [p.name, p.value]));
      return { charset, fields: pairs.map((p) => [decodeText(p.name, charset), decodeText(p.value, charset)]) };
    } catch {
      // not a form after all (or broken): shown as text below
    }
  }
  const charset = charsetOf([record.raw]);
  return { charset, text: decodeText(record.raw, charset) };
}

export function formatRecord(record: EventRecord): string {
  const message = decodeMessage(record);
  const lines = [`${record.receivedAt}  ${record.source}  ${record.outcome}${record.tradeStatus ? `  ${record.tradeStatus}` : ''}`];
  lines.push(...fields([
    ['event id', record.eventId],
    ['notify_id', record.notifyId !== undefined && record.notifyId !== record.eventId ? record.notifyId : undefined],
    ['detail', record.detail],
    ['message', `${record.raw.length} bytes, ${message.charset}`],
  ]));
  if (message.fields) lines.push(...fields(message.fields.map(([name, value]) => [name, value]), '    '));
  else lines.push(...(message.text ?? '').split('\n').map((l) => `    ${l}`));
  return lines.join('\n');
}

/** A record as JSON: what formatRecord shows, and the raw bytes in base64. */
export const recordJson = (record: EventRecord) => {
  const message = decodeMessage(record);
  const { raw, ...rest } = record;
  return {
    ...rest,
    charset: message.charset,
    ...(message.fields ? { fields: Object.fromEntries(message.fields) } : { text: message.text }),
    rawBase64: raw.toString('base64'),
  };
};
