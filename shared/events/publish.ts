// One batch of Orders stream records -> order events on the bus. Failed entries are retried here; what still fails
// is reported (the record it came from, for the stream to retry from), never dropped.
import type { OrderChange, OrderStreamRecord } from '../store/order-stream.ts';
import { deriveOrderEvents, type OrderDomainEvent } from './order-events.ts';

/** One PutEvents entry. */
export interface BusEntry {
  source: string;
  detailType: string;
  detail: string;
  time: string;
}

/** Per entry, in order: accepted, or the bus's error code and message. */
export type BusEntryResult = { ok: true } | { ok: false; code: string; message: string };

/** The port: EventBridge in AWS (shared/bus/eventbridge.ts), a loopback fake in tests and the local stack. */
export interface EventBus {
  /** At most MAX_ENTRIES_PER_PUT entries; resolves with one result per entry, rejects when the call itself failed. */
  put(entries: readonly BusEntry[]): Promise<BusEntryResult[]>;
}

export const MAX_ENTRIES_PER_PUT = 10; // PutEvents' limit

export interface PublishDeps {
  bus: EventBus;
  /** The `source` of every event (the service's name). */
  source: string;
  /** Attempts per entry in this invocation (the stream retries the record after that). */
  attempts: number;
  /** Waits between attempts; injected so tests do not wait. */
  sleep: (ms: number) => Promise<void>;
  /** Read an image this store did not write: reported like a failed put, so the record ends in the on-failure queue. */
  changeOf: (record: OrderStreamRecord) => OrderChange;
}

export interface PublishOutcome {
  published: number;
  /** Entries that still failed after every attempt, with the bus's last error. */
  failed: { eventId: string; code: string; message: string }[];
  /** The first record not fully published: the stream resumes there (ReportBatchItemFailures). */
  batchItemFailures: { itemIdentifier: string }[];
  /** Order Anomaly events derived (published or not): each one raises the anomaly alarm. */
  anomalies: number;
  /** Records whose images could not be read. */
  unreadable: { sequenceNumber: string; error: string }[];
}

const BACKOFF_MS = [200, 1000, 3000];

export function toBusEntry(event: OrderDomainEvent, source: string): BusEntry {
  return { source, detailType: event.type, detail: JSON.stringify(event.detail), time: event.detail.occurredAt };
}

export async function publishStreamBatch(records: readonly OrderStreamRecord[], deps: PublishDeps): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: 0, failed: [], batchItemFailures: [], anomalies: 0, unreadable: [] };
  const pending: { record: number; event: OrderDomainEvent }[] = [];
  let firstBad = records.length;
  records.forEach((record, i) => {
    try {
      const { before, after } = deps.changeOf(record);
      for (const event of deriveOrderEvents(before, after)) pending.push({ record: i, event });
    } catch (err) {
      outcome.unreadable.push({ sequenceNumber: sequenceOf(record), error: err instanceof Error ? err.message : String(err) });
      firstBad = Math.min(firstBad, i);
    }
  });
  // Records after an unreadable one are left for the retry that starts there.
  let left = pending.filter((p) => p.record < firstBad);
  outcome.anomalies = left.filter((p) => p.event.type === 'Order Anomaly').length;
  for (let attempt = 1; left.length > 0; attempt++) {
    const failedNow: { item: (typeof left)[number]; code: string; message: string }[] = [];
    for (let at = 0; at < left.length; at += MAX_ENTRIES_PER_PUT) {
      const chunk = left.slice(at, at + MAX_ENTRIES_PER_PUT);
      let results: BusEntryResult[];
      try {
        results = await deps.bus.put(chunk.map((p) => toBusEntry(p.event, deps.source)));
      } catch (err) {
        const e = err as { name?: string; message?: string };
        results = chunk.map(() => ({ ok: false as const, code: e.name ?? 'Error', message: e.message ?? String(err) }));
      }
      chunk.forEach((item, j) => {
        const r = results[j] ?? { ok: false as const, code: 'NoResult', message: 'the bus answered fewer entries than were sent' };
        if (r.ok) outcome.published++;
        else failedNow.push({ item, code: r.code, message: r.message });
      });
    }
    left = failedNow.map((f) => f.item);
    if (left.length === 0) break;
    if (attempt >= deps.attempts) {
      outcome.failed = failedNow.map((f) => ({ eventId: f.item.event.id, code: f.code, message: f.message }));
      firstBad = Math.min(firstBad, ...left.map((p) => p.record));
      break;
    }
    await deps.sleep(BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!);
  }
  if (firstBad < records.length) outcome.batchItemFailures.push({ itemIdentifier: sequenceOf(records[firstBad]!) });
  return outcome;
}

const sequenceOf = (r: OrderStreamRecord): string => r.dynamodb?.SequenceNumber ?? '';
