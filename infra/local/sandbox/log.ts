// The sandbox's activity log: numbered entries, newest last, bounded. Callers never pass keys; nothing here adds any.
import type { SandboxLogEntry } from './index.ts';

export type LogRefs = Pick<SandboxLogEntry, 'tradeNo' | 'outTradeNo' | 'notifyId'>;

const MAX_ENTRIES = 10_000;

export class SandboxLog {
  readonly entries: SandboxLogEntry[] = [];
  private seq = 0;

  constructor(private readonly onLog?: (entry: SandboxLogEntry) => void) {}

  add(kind: string, detail: string, refs: LogRefs = {}): SandboxLogEntry {
    const entry: SandboxLogEntry = { seq: ++this.seq, time: new Date().toISOString(), kind, ...definedOnly(refs), detail };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    try {
      this.onLog?.(entry);
    } catch {
      // A broken printer must not break the gateway.
    }
    return entry;
  }
}

function definedOnly(refs: LogRefs): LogRefs {
  const out: LogRefs = {};
  if (refs.tradeNo !== undefined) out.tradeNo = refs.tradeNo;
  if (refs.outTradeNo !== undefined) out.outTradeNo = refs.outTradeNo;
  if (refs.notifyId !== undefined) out.notifyId = refs.notifyId;
  return out;
}
