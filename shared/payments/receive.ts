// The first steps shared by notify and return: bytes -> parameters -> signature over the bytes -> a TradeEvent.
import type { Charset } from '../alipay/charset.ts';
import { isAlipayError } from '../alipay/errors.ts';
import { readMessage, type ReceivedMessage } from '../alipay/notification.ts';
import { verifyBytes } from '../alipay/sign.ts';
import type { EventSource, TradeEvent } from '../orders/order.ts';
import type { NotificationRecord, PaymentStore } from './store-port.ts';
import { tradeEventFromFields } from './trade-events.ts';

export type Received =
  | { ok: true; message: ReceivedMessage; event: TradeEvent & { notifyId: string } }
  | { ok: false; reason: string; detail: string; message?: ReceivedMessage };

export function receiveSigned(raw: Buffer, key: string, charsetHint: Charset, source: EventSource, receivedAt: string): Received {
  let message: ReceivedMessage;
  try {
    message = readMessage(raw, charsetHint);
  } catch (err) {
    if (isAlipayError(err)) return { ok: false, reason: 'malformed', detail: err.message };
    throw err;
  }
  const verdict = verifyBytes(message.params, key);
  if (!verdict.valid) return { ok: false, reason: verdict.reason, detail: verdict.message, message };
  const event = tradeEventFromFields(message.fields, source, receivedAt);
  if (event.notifyId === undefined) return { ok: false, reason: 'missing_notify_id', detail: 'the message has no notify_id, so Alipay cannot confirm it', message };
  return { ok: true, message, event: event as TradeEvent & { notifyId: string } };
}

/** Keeps a refused message for audit; storage trouble here must not turn a refusal into something else. */
export async function keepRejected(
  store: PaymentStore,
  raw: Buffer,
  rejected: Extract<Received, { ok: false }>,
  source: EventSource,
  receivedAt: string,
  retentionDays: number,
): Promise<void> {
  const fields = rejected.message?.fields ?? {};
  const record: NotificationRecord = {
    notifyId: fields.notify_id || 'none',
    source,
    receivedAt,
    outcome: `rejected:${rejected.reason}`,
    detail: rejected.detail,
    raw,
    expiresAt: Math.floor(Date.parse(receivedAt) / 1000) + retentionDays * 86400,
    ...(fields.out_trade_no ? { outTradeNo: fields.out_trade_no } : {}),
    ...(fields.trade_status ? { tradeStatus: fields.trade_status } : {}),
  };
  await store.recordRejected(record);
}
