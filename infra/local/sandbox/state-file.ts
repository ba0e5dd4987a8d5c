// What the sandbox remembers across restarts: its trades and refund batches, in one JSON file in the directory it is
// given (the local stack's .local/sandbox/), so cashier and refund pages still answer, a paid out_trade_no stays paid
// and a batch_no stays taken. Read once at start; written after changes (coalesced) and at stop, atomically: a
// temporary file renamed over the old one. The log, notify_ids and pending deliveries are not kept.
import fs from 'node:fs';
import path from 'node:path';
import type { RefundBatch } from './refund-batches.ts';
import type { Trade } from './trades.ts';

export const STATE_FILE_NAME = 'sandbox-state.json';
const FORMAT = 'alipay-sandbox-state';
const VERSION = 1;

export interface SandboxState {
  readonly trades: readonly Trade[];
  readonly batches: readonly RefundBatch[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: Record<string, unknown>, ...names: string[]): boolean => names.every((n) => typeof v[n] === 'string');

function isTrade(v: unknown): v is Trade {
  return isRecord(v) && strings(v, 'partner', 'service', 'kind', 'charset', 'outTradeNo', 'tradeNo', 'status', 'totalFee', 'subject', 'sellerId', 'sellerEmail', 'buyerId', 'buyerEmail', 'gmtCreate', 'instantMode') &&
    Array.isArray(v.history) && Array.isArray(v.notifyIds) && Array.isArray(v.refunds) && isRecord(v.params);
}

function isBatch(v: unknown): v is RefundBatch {
  return isRecord(v) && strings(v, 'partner', 'service', 'charset', 'batchNo', 'refundDate', 'sellerId', 'detailData', 'requestedAt', 'status') && Array.isArray(v.items);
}

/** The state kept in `dir`; empty when there is none yet. Throws, naming the file, when it cannot be read. */
export function loadState(dir: string): SandboxState {
  const file = path.join(dir, STATE_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { trades: [], batches: [] };
    throw new Error(`sandbox: cannot read ${file}: ${(err as Error).message}`);
  }
  const unusable = (why: string): Error => new Error(`sandbox: ${file} ${why}: move it away or delete it to start afresh`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw unusable(`is not JSON (${(err as Error).message})`);
  }
  if (!isRecord(doc) || doc.format !== FORMAT) throw unusable(`is not a sandbox state file (no "format": "${FORMAT}")`);
  if (doc.version !== VERSION) throw unusable(`has version ${JSON.stringify(doc.version)}; this sandbox reads version ${VERSION}`);
  if (!Array.isArray(doc.trades) || !Array.isArray(doc.batches)) throw unusable('has no trades and batches lists');
  const badTrade = doc.trades.findIndex((t) => !isTrade(t));
  if (badTrade >= 0) throw unusable(`has an unreadable trade (trades[${badTrade}])`);
  const badBatch = doc.batches.findIndex((b) => !isBatch(b));
  if (badBatch >= 0) throw unusable(`has an unreadable refund batch (batches[${badBatch}])`);
  return { trades: doc.trades as Trade[], batches: doc.batches as RefundBatch[] };
}

/** Writes the state to `dir` after changes: once per burst of changes, and at once on flush(). */
export class StateFile {
  readonly file: string;
  private dirty = false;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(dir: string, private readonly read: () => SandboxState, private readonly onError: (message: string) => void) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, STATE_FILE_NAME);
  }

  /** Something changed: write soon (changes in the same turn of the event loop are written together). */
  changed(): void {
    this.dirty = true;
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  /** Writes now if anything changed since the last write. A failed write is reported and tried again at the next change. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.dirty) return;
    const state = this.read();
    const text = JSON.stringify({ format: FORMAT, version: VERSION, savedAt: new Date().toISOString(), trades: state.trades, batches: state.batches });
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, this.file);
      this.dirty = false;
    } catch (err) {
      fs.rmSync(temporary, { force: true });
      this.onError(`could not save the sandbox's trades to ${this.file}: ${(err as Error).message}`);
    }
  }
}
