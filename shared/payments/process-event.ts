// The one way an order moves forward: read -> duplicate? -> notify_verify -> decide -> one conditional transaction.
// Used by notify and return alike (and later by reconciliation).
import type { NotifyVerifyAnswer } from '../alipay/gateway-client.ts';
import { applyChange, decide } from '../orders/decide.ts';
import { HISTORY_LIMIT, type Order, type TradeEvent } from '../orders/order.ts';
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
    const outcome = decision.outcome === 'apply' ? 'applied' : decision.outcome;
    const detail =
      decision.outcome === 'anomaly' ? decision.anomalies.map((a) => `${a.code}: ${a.detail}`).join('; ')
      : decision.outcome === 'stale' ? decision.detail
      : decision.outcome === 'duplicate' ? 'the order already reflects this'
      : undefined;
    const commit = await deps.store.commitEvent({
      record: record(outcome, detail),
      order,
      ...(decision.outcome === 'apply' ? { change: decision.change } : {}),
      ...(decision.outcome === 'anomaly' ? { anomalies: decision.anomalies } : {}),
    });
    if (commit === 'notification_exists') return { outcome: 'duplicate', ...(order ? { order } : {}), detail: 'a concurrent delivery recorded it first' };
    if (commit === 'order_changed') return undefined;
    // The order as now stored, so callers (the return page) need not read it again.
    const now = order && decision.outcome === 'apply' ? applyChange(order, decision.change, HISTORY_LIMIT) : order;
    return { outcome, ...(now ? { order: now } : {}), ...(detail === undefined ? {} : { detail }) };
  }
}
