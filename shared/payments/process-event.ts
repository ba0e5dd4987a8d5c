// The one way an order moves forward, whatever the source of the news (notify, return, query):
// read -> already recorded? -> notify_verify (once) -> decide (pure) -> one conditional transaction.
import { createHash } from 'node:crypto';
import type { NotifyVerifyAnswer } from '../alipay/gateway-client.ts';
import type { Deadline } from '../deadline.ts';
import { decide, type Decision } from '../orders/decide.ts';
import { isRefundResult, type Order, type OrderEvent } from '../orders/order.ts';
import { isAwaitingPayment } from '../orders/trade-status.ts';
import { type EventOutcome, type EventRecord, type PaymentStore, StoreUnavailableError } from './store-port.ts';

export interface ProcessDeps {
  store: PaymentStore;
  partner: string;
  /**
   * Asks Alipay whether it sent `notifyId` (with its own timeout, and abandoned when `signal` aborts); throws a
   * transient error when it cannot tell.
   */
  notifyVerify?: (notifyId: string, signal: AbortSignal) => Promise<NotifyVerifyAnswer>;
  /** Days an event record is kept before TTL may delete it. */
  retentionDays: number;
  /** Attempts when the order changes under us, or storage has a passing problem, before giving up (Alipay will retry). */
  maxAttempts?: number;
}

export type ProcessResult =
  | { outcome: 'applied' | 'duplicate' | 'stale' | 'anomaly'; order?: Order; detail?: string }
  | { outcome: 'rejected'; reason: string };

export interface ProcessOptions {
  /** Ask Alipay to confirm this notify_id before acting (notify and fresh returns); absent: the source is trusted (query). */
  confirmNotifyId?: string;
  deadline: Deadline;
}

/** Records outlive the event by this many days (TTL); reads never rely on deletion. */
export const expiresAt = (receivedAt: string, retentionDays: number): number =>
  Math.floor(Date.parse(receivedAt) / 1000) + retentionDays * 86400;

export async function processTradeEvent(deps: ProcessDeps, event: OrderEvent, raw: Buffer, opts: ProcessOptions): Promise<ProcessResult> {
  const { deadline } = opts;
  const call = { signal: deadline.signal };
  const record = (outcome: EventOutcome, detail?: string, eventId = event.eventId): EventRecord => ({
    eventId,
    source: event.source,
    ...(opts.confirmNotifyId === undefined ? {} : { notifyId: opts.confirmNotifyId }),
    outTradeNo: event.outTradeNo,
    ...(isRefundResult(event) ? {} : { tradeStatus: event.tradeStatus }),
    receivedAt: event.receivedAt,
    outcome,
    raw,
    expiresAt: expiresAt(event.receivedAt, deps.retentionDays),
    ...(detail === undefined ? {} : { detail }),
  });

  const attempts = deps.maxAttempts ?? 5;
  let confirmed = opts.confirmNotifyId === undefined;
  for (let attempt = 1; ; attempt++) {
    deadline.check();
    try {
      const done = await once();
      if (done) return done;
      // undefined: the order's version moved on since we read it; decide again on the new version.
    } catch (err) {
      // TransactionConflict, throttling, 5xx: retry a few times with jitter, then let Alipay retry later.
      if (!(err instanceof StoreUnavailableError) || attempt >= attempts) throw err;
      deadline.check();
      await new Promise((r) => setTimeout(r, 20 * attempt * (0.5 + Math.random())));
    }
    if (attempt >= attempts) throw new StoreUnavailableError(`order ${event.outTradeNo} kept changing during ${attempts} attempts`);
  }

  async function once(): Promise<ProcessResult | undefined> {
    const read = await deps.store.readForEvent(event.outTradeNo, event.eventId, call);
    const order = read.order;
    // Already handled: answer without asking Alipay again (an answered notify_id is invalid there anyway).
    if (read.record && read.record.outTradeNo === event.outTradeNo) {
      return { outcome: 'duplicate', ...(order ? { order } : {}), detail: `already recorded as ${read.record.outcome}` };
    }
    if (!confirmed && !read.record) {
      const rejected = await confirm(opts.confirmNotifyId!);
      if (rejected) return rejected;
      confirmed = true;
    }

    const decision = decide(order, event, {
      partner: deps.partner,
      ...(read.record ? { eventRecordedFor: read.record.outTradeNo ?? '' } : {}),
    });
    const detail = describe(decision);
    const outcome: EventOutcome = decision.outcome;
    // An id already recorded for another order, or a message that may be a re-split of a genuine one: recorded under
    // a key of its own (so resends of it are noted once), never claiming the event id the genuine message needs.
    const eventId = read.record ? `reused#${event.eventId}#${event.outTradeNo}`
      : decision.outcome === 'anomaly' && decision.suspect ? `suspect#${event.eventId}#${createHash('sha256').update(raw).digest('hex')}`
      : event.eventId;
    const next = decision.outcome === 'applied' || decision.outcome === 'anomaly' ? decision.next : undefined;
    const commit = await deps.store.commitEvent({
      record: record(outcome, detail, eventId),
      ...(order && next ? { expectedVersion: order.version, next: { order: next, awaitingPayment: isAwaitingPayment(next.status) } } : {}),
    }, call);
    if (commit === 'event_exists') return { outcome: 'duplicate', ...(order ? { order } : {}), detail: 'a concurrent copy recorded it first' };
    if (commit === 'order_changed') return undefined;
    const now = next ?? order;
    return { outcome, ...(now ? { order: now } : {}), ...(detail === undefined ? {} : { detail }) };
  }

  /** notify_verify; anything but `true` is a rejection, unless a copy of this event was recorded meanwhile. */
  async function confirm(notifyId: string): Promise<ProcessResult | undefined> {
    if (!deps.notifyVerify) throw new Error('processTradeEvent: asked to confirm a notify_id without a notifyVerify');
    const answer = await deps.notifyVerify(notifyId, deadline.signal);
    if (answer === 'true') return undefined;
    // Alipay stops confirming a notify_id once it was answered `success`: a concurrent copy may have been applied
    // and answered while we asked. That copy recorded the event before it answered, so look again before rejecting.
    const again = await deps.store.readForEvent(undefined, event.eventId, call);
    if (again.record) return { outcome: 'duplicate', detail: `notify_verify answered ${answer} after a copy was recorded as ${again.record.outcome}` };
    const reason = `notify_verify_${answer}`;
    await deps.store.recordRejected(record(`rejected:${reason}`, `notify_verify answered ${answer}`), call);
    return { outcome: 'rejected', reason };
  }
}

function describe(decision: Decision): string | undefined {
  switch (decision.outcome) {
    case 'anomaly': return decision.anomalies.map((a) => `${a.code}: ${a.detail}`).join('; ');
    case 'stale': return decision.detail;
    case 'duplicate': return 'the order already reflects this';
    case 'applied': return undefined;
  }
}
