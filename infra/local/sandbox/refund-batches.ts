// Where the sandbox keeps refund batches: by (partner, batch_no), since a batch_no is unique per partner and never
// taken again. Also what the batch refund notification reports of a batch (§5.4).
import type { SandboxRefundBatch } from './index.ts';
import type { RefundRequest } from './refund-rules.ts';

export type RefundBatch = SandboxRefundBatch;

export class BatchBook {
  private readonly batches = new Map<string, RefundBatch>();

  /** `onChange` is called after every put (e.g. to save the batches). */
  constructor(private readonly onChange: () => void = () => {}) {}

  private static key(partner: string, batchNo: string): string {
    return `${partner}\n${batchNo}`;
  }

  get(partner: string, batchNo: string): RefundBatch | undefined {
    return this.batches.get(BatchBook.key(partner, batchNo));
  }

  /** Adds a new batch or replaces the stored version of the same one. */
  put(batch: RefundBatch): void {
    this.batches.set(BatchBook.key(batch.partner, batch.batchNo), batch);
    this.onChange();
  }

  /** Takes back batches kept from an earlier run, without calling onChange. */
  load(batches: readonly RefundBatch[]): void {
    for (const batch of batches) this.batches.set(BatchBook.key(batch.partner, batch.batchNo), batch);
  }

  all(): RefundBatch[] {
    return [...this.batches.values()];
  }
}

/**
 * [inference] A _pwd request the seller has not confirmed yet may be opened again (a reload, the same link twice):
 * with the same items, seller and notify_url it shows the same page. Anything else with that batch_no is
 * DUPLICATE_BATCH_NO.
 */
export function sameRequest(batch: RefundBatch, request: RefundRequest, sellerId: string): boolean {
  return batch.status === 'AWAITING_SELLER' && batch.service === request.service && batch.detailData === request.detailData &&
    batch.sellerId === sellerId && batch.notifyUrl === request.notifyUrl;
}

/** result_details: `trade_no^amount^RESULT` items joined by "#" (no fee refunds). */
export const resultDetails = (batch: RefundBatch): string => (batch.results ?? []).map((r) => `${r.tradeNo}^${r.amount}^${r.result}`).join('#');

export const successNum = (batch: RefundBatch): number => (batch.results ?? []).filter((r) => r.result === 'SUCCESS').length;

/** A frozen copy for callers outside the sandbox. */
export function batchSnapshot(batch: RefundBatch): SandboxRefundBatch {
  return Object.freeze({
    ...batch,
    items: Object.freeze(batch.items.map((i) => Object.freeze({ ...i }))),
    ...(batch.results ? { results: Object.freeze(batch.results.map((r) => Object.freeze({ ...r }))) } : {}),
  });
}
