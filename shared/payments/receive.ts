// Receiving Alipay's notify POST or the buyer's return GET: verify the bytes, read the event, run it through the pipeline.
import { createHash } from 'node:crypto';
import type { Charset } from '../alipay/charset.ts';
import { stillConfirmable } from '../alipay/notify-id.ts';
import { receiveMessage, type Refusal } from '../alipay/receive.ts';
import type { Deadline } from '../deadline.ts';
import type { TradeEvent } from '../orders/order.ts';
import { expiresAt, processTradeEvent, type ProcessDeps, type ProcessResult } from './process-event.ts';
import { eventFromMessage } from './trade-events.ts';

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
  | { kind: 'processed'; event: TradeEvent; charset: Charset; result: ProcessResult };

export async function receiveTradeMessage(
  deps: ReceiveDeps,
  raw: Buffer,
  source: 'notify' | 'return',
  deadline: Deadline,
): Promise<Received> {
  const receivedAt = deps.now();
  const verified = receiveMessage(raw, deps.key, deps.charset);
  if (!verified.ok) return { kind: 'refused', reason: verified.reason, detail: verified.detail };

  const read = eventFromMessage(verified.message, source, receivedAt);
  if (!read.ok) {
    // A browser's return is not retried: just refuse it. A signed notify is answered so Alipay stops resending.
    if (source === 'return') return { kind: 'refused', reason: 'unidentified', detail: read.problem };
    const commit = await deps.store.commitEvent({
      record: {
        // Keyed by the bytes, so resends of the same message are recorded once.
        eventId: `unidentified#${createHash('sha256').update(raw).digest('hex')}`,
        source, receivedAt, outcome: 'anomaly', detail: read.problem, raw,
        expiresAt: expiresAt(receivedAt, deps.retentionDays),
      },
    }, { signal: deadline.signal });
    return { kind: 'unidentified', detail: commit === 'committed' ? read.problem : `${read.problem} (already recorded)` };
  }

  const { event, notifyId } = read;
  if (!stillConfirmable(source, verified.message.fields.notify_time, receivedAt)) return { kind: 'too_old', event };
  const result = await processTradeEvent(deps, event, raw, { confirmNotifyId: notifyId, deadline });
  return { kind: 'processed', event, charset: verified.message.charset, result };
}
