// Receiving Alipay's notify POST or the buyer's return GET: verify the bytes, read the event, run it through the pipeline.
import { createHash } from 'node:crypto';
import type { Charset } from '../alipay/charset.ts';
import { stillConfirmable } from '../alipay/notify-id.ts';
import { receiveMessage, type Refusal } from '../alipay/receive.ts';
import type { Deadline } from '../deadline.ts';
import type { TradeEvent } from '../orders/order.ts';
import { expiresAt, processTradeEvent, type ProcessDeps, type ProcessResult } from './process-event.ts';
import { eventFromMessage, refundEventsFromMessage } from './trade-events.ts';
import { refundRequestId } from './refund-ids.ts';

export interface ReceiveDeps extends ProcessDeps {
  /** The MD5 key. Never logged. */
  key: string;
  /** The charset we ask Alipay for; a message may still come in GBK. */
  charset: Charset;
  now: () => string;
}

export type Received =
  /** Not a message signed with our key (or unreadable): nothing was written. */
  | { kind: 'refused'; reason: Refusal | 'unidentified'; detail: string }
  /** Signed, but its identifiers name no trade or event of ours (a notify): recorded as an anomaly, nothing applied. */
  | { kind: 'unidentified'; detail: string }
  /** A return too old for notify_verify to confirm: nothing applied; the stored status is what the buyer sees. */
  | { kind: 'too_old'; event: TradeEvent }
  /** A batch refund notification: one result per refunded trade, each through the pipeline. */
  | { kind: 'refunds'; batchNo: string; results: ProcessResult[] }
  | { kind: 'processed'; event: TradeEvent; charset: Charset; result: ProcessResult }
  /**
   * A verified event that could not be processed now (DynamoDB or notify_verify trouble, the deadline): nothing was
   * half-written. Notify answers `fail` so Alipay resends; the return page still knows the order it is about.
   */
  | { kind: 'unavailable'; event: TradeEvent; error: unknown };

export async function receiveTradeMessage(
  deps: ReceiveDeps,
  raw: Buffer,
  source: 'notify' | 'return',
  deadline: Deadline,
): Promise<Received> {
  const receivedAt = deps.now();
  const verified = receiveMessage(raw, deps.key, deps.charset);
  if (!verified.ok) return { kind: 'refused', reason: verified.reason, detail: verified.detail };

  if (source === 'notify' && verified.message.fields.notify_type === 'batch_refund_notify') {
    return receiveRefundNotify(deps, verified.message.fields, raw, receivedAt, deadline);
  }
  const read = eventFromMessage(verified.message, source, receivedAt);
  if (!read.ok) {
    // A browser's return is not retried: just refuse it. A signed notify is answered so Alipay stops resending.
    if (source === 'return') return { kind: 'refused', reason: 'unidentified', detail: read.problem };
    return recordUnidentified(deps, raw, read.problem, receivedAt, deadline);
  }

  const { event, notifyId } = read;
  if (!stillConfirmable(source, verified.message.fields.notify_time, receivedAt)) return { kind: 'too_old', event };
  try {
    const result = await processTradeEvent(deps, event, raw, { confirmNotifyId: notifyId, deadline });
    return { kind: 'processed', event, charset: verified.message.charset, result };
  } catch (error) {
    return { kind: 'unavailable', event, error };
  }
}

/** A signed notify we cannot act on, recorded once (keyed by its bytes) as an anomaly; answered so Alipay stops. */
async function recordUnidentified(deps: ReceiveDeps, raw: Buffer, problem: string, receivedAt: string, deadline: Deadline): Promise<Received> {
  const commit = await deps.store.commitEvent({
    record: {
      eventId: `unidentified#${createHash('sha256').update(raw).digest('hex')}`,
      source: 'notify', receivedAt, outcome: 'anomaly', detail: problem, raw,
      expiresAt: expiresAt(receivedAt, deps.retentionDays),
    },
  }, { signal: deadline.signal });
  return { kind: 'unidentified', detail: commit === 'committed' ? problem : `${problem} (already recorded)` };
}

/**
 * batch_refund_notify names a batch, not an order: the refund request we recorded maps batch_no to the order. Each
 * trade's result is one event (refund#<batch_no>#<trade_no>), confirmed with notify_verify and decided like any other.
 */
async function receiveRefundNotify(deps: ReceiveDeps, fields: Readonly<Record<string, string>>, raw: Buffer, receivedAt: string, deadline: Deadline): Promise<Received> {
  const batch = fields.batch_no ?? '';
  const request = /^[0-9A-Za-z]{1,40}$/.test(batch) ? (await deps.store.readForEvent(undefined, refundRequestId(batch), { signal: deadline.signal })).record : undefined;
  const read = refundEventsFromMessage(fields, request?.outTradeNo, receivedAt);
  if (!read.ok) return recordUnidentified(deps, raw, read.problem, receivedAt, deadline);
  const results: ProcessResult[] = [];
  for (const event of read.events) results.push(await processTradeEvent(deps, event, raw, { confirmNotifyId: read.notifyId, deadline }));
  return { kind: 'refunds', batchNo: batch, results };
}
