// The one way an order moves forward: read -> duplicate? -> notify_verify -> decide -> one conditional transaction.
// Used by notify and return alike (and later by reconciliation).
import type { NotifyVerifyAnswer } from '../alipay/gateway-client.ts';
import { decide } from './decide.ts';
import type { Order, TradeEvent } from './order.ts';
import { type NotificationOutcome, type NotificationRecord, type PaymentStore, StoreUnavailableError } from './store-port.ts';

export interface ProcessDeps {
  store: PaymentStore;
  partner: string;
  /** Asks Alipay whether the notify_id is genuine; throws a transient error when it cannot tell. */
  notifyVerify: (notifyId: string) => Promise<NotifyVerifyAnswer>;
  /** Days a notification record is kept before TTL may delete it. */
  retentionDays: number;
  /** Attempts when the order changes under us before giving up (Alipay will retry). */
  maxAttempts?: number;
}

export type ProcessResult =
  | { outcome: 'applied' | 'duplicate' | 'stale' | 'anomaly'; order?: Order; detail?: string }
  | { outcome: 'rejected'; reason: string };

export async function processTradeEvent(
  deps: ProcessDeps,
  event: TradeEvent & { notifyId: string },
  raw: Buffer,
  opts: { verifyWithAlipay: boolean },
): Promise<ProcessResult> {
  const record = (outcome: NotificationOutcome, detail?: string): NotificationRecord => ({
    notifyId: event.notifyId,
    source: event.source,
    outTradeNo: event.outTradeNo,
    tradeStatus: event.tradeStatus,
    receivedAt: event.receivedAt,
    outcome,
    raw,
    expiresAt: Math.floor(Date.parse(event.receivedAt) / 1000) + deps.retentionDays * 86400,
    ...(detail === undefined ? {} : { detail }),
  });

  const attempts = deps.maxAttempts ?? 5;
  let verified = !opts.verifyWithAlipay;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const done = await once();
      if (done) return done;
      // undefined: the order's version moved on since we read it; decide again on the new version.
    } catch (err) {
      // TransactionConflict, throttling, 5xx: retry a few times with jitter, then let Alipay retry later.
      if (!(err instanceof StoreUnavailableError) || attempt === attempts) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt * (0.5 + Math.random())));
    }
  }
  throw new StoreUnavailableError(`order ${event.outTradeNo} kept changing during ${attempts} attempts`);

  async function once(): Promise<ProcessResult | undefined> {
    const { order, notification } = await deps.store.readForEvent(event.outTradeNo, event.notifyId);
    // Already handled: answer success without asking Alipay again (an answered notify_id is invalid there anyway).
    if (notification) return { outcome: 'duplicate', ...(order ? { order } : {}), detail: `already recorded as ${notification.outcome}` };

    if (!verified) {
      const answer = await deps.notifyVerify(event.notifyId);
      if (answer !== 'true') {
        const reason = `notify_verify_${answer}`;
        await deps.store.recordRejected(record(`rejected:${reason}`, `notify_verify answered ${answer}`));
        return { outcome: 'rejected', reason };
      }
      verified = true;
    }

    const decision = decide(order, event, { partner: deps.partner });
    let result: ProcessResult;
    let commit;
    switch (decision.outcome) {
      case 'apply':
        commit = await deps.store.commitEvent({ record: record('applied'), order, change: decision.change });
        result = { outcome: 'applied' };
        break;
      case 'anomaly': {
        const detail = decision.anomalies.map((a) => `${a.code}: ${a.detail}`).join('; ');
        commit = await deps.store.commitEvent({ record: record('anomaly', detail), order, anomalies: decision.anomalies });
        result = { outcome: 'anomaly', detail };
        break;
      }
      case 'stale':
        commit = await deps.store.commitEvent({ record: record('stale', decision.detail), order });
        result = { outcome: 'stale', detail: decision.detail };
        break;
      case 'duplicate':
        commit = await deps.store.commitEvent({ record: record('duplicate', 'the order already reflects this'), order });
        result = { outcome: 'duplicate' };
        break;
    }
    if (commit === 'notification_exists') return { outcome: 'duplicate', detail: 'a concurrent delivery recorded it first' };
    if (commit === 'committed') return result;
    return undefined;
  }
}
