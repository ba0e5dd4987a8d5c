// Which notify_ids notify_verify answers `true` for: async ones until the merchant answered `success` to one of
// their sends, return ones for a limited time (re-verifiable within it). Everything else is `false`.
import { newNotifyId, newReturnNotifyId } from './ids.ts';

type Issued =
  | { kind: 'async'; partner: string; answered: boolean }
  | { kind: 'return'; partner: string; expiresAt: number };

export class NotifyIds {
  private readonly issued = new Map<string, Issued>();

  constructor(private readonly returnTtlMs: number, private readonly clock: () => number = Date.now) {}

  issueAsync(partner: string): string {
    const id = newNotifyId();
    this.issued.set(id, { kind: 'async', partner, answered: false });
    return id;
  }

  issueReturn(partner: string): string {
    const id = newReturnNotifyId();
    this.issued.set(id, { kind: 'return', partner, expiresAt: this.clock() + this.returnTtlMs });
    return id;
  }

  /** The merchant answered exactly `success` to a send of this notification: from now on it verifies false. */
  answeredSuccess(id: string): void {
    const entry = this.issued.get(id);
    if (entry?.kind === 'async') entry.answered = true;
  }

  verify(partner: string, id: string): 'true' | 'false' {
    const entry = this.issued.get(id);
    if (!entry || entry.partner !== partner) return 'false';
    if (entry.kind === 'async') return entry.answered ? 'false' : 'true';
    return this.clock() < entry.expiresAt ? 'true' : 'false';
  }

  /** Why verify answers what it does, for the log. */
  describe(partner: string, id: string): string {
    const entry = this.issued.get(id);
    if (!entry) return 'not a notify_id this sandbox issued';
    if (entry.partner !== partner) return `issued to partner ${entry.partner}, not ${partner}`;
    if (entry.kind === 'async') return entry.answered ? 'async id, the merchant already answered success' : 'async id, not yet answered success';
    const left = entry.expiresAt - this.clock();
    return left > 0 ? `return id, valid for ${left} ms more` : `return id, expired ${-left} ms ago`;
  }
}
