// Sending async notifications as Alipay does: until the merchant answers exactly `success`, at most 8 sends on the
// real schedule (2m, 10m, 10m, 1h, 2h, 6h, 15h) divided by retrySpeedup. Each notification has its own timers, so
// a later status can overtake an earlier one's retries. Knobs add duplicates, a delay, hold first sends, or drop
// notifications for good. Trade notifications and batch refund notifications go through the same machinery.
import { checkKnobs } from './options.ts';
import { postForm, type SendOutcome } from './http-post.ts';
import type { DeliveryKnobs } from './index.ts';
import type { LogRefs, SandboxLog } from './log.ts';

const MINUTE = 60_000;
/** The waits after send 1…7 [the 2m variant of protocol doc §3.5: it adds up to the documented 24 h 22 min]. */
export const RETRY_INTERVALS_MS: readonly number[] = [2, 10, 10, 60, 120, 360, 900].map((m) => m * MINUTE);
export const MAX_SENDS = RETRY_INTERVALS_MS.length + 1;

/** Seven bytes, no trimming: `success\n` or `"success"` is a failure, as at Alipay. */
const SUCCESS = Buffer.from('success');

export interface OutgoingNotification {
  readonly notifyId: string;
  /** What it says, for the log: the trade status, or `batch_refund_notify <batch_no>`. */
  readonly label: string;
  /** The trade it is about, when there is one, for the log. */
  readonly trade?: { readonly tradeNo: string; readonly outTradeNo: string };
  readonly url: string;
  /** The form body (ASCII). */
  readonly body: string;
  readonly contentType: string;
}

export type Sender = (url: string, body: string, contentType: string, timeoutMs: number, signal: AbortSignal) => Promise<SendOutcome>;

export interface DeliveryOptions {
  retrySpeedup: number;
  timeoutMs: number;
  knobs: DeliveryKnobs;
  log: SandboxLog;
  /** Called once per send the merchant answered `success` to. */
  onSuccess: (notifyId: string) => void;
  send?: Sender;
}

interface Delivery {
  readonly n: OutgoingNotification;
  sends: number;
}

export const isDelivered = (o: SendOutcome): boolean => o.kind === 'answered' && o.status === 200 && o.body.equals(SUCCESS);

export function describeOutcome(o: SendOutcome): string {
  if (o.kind === 'failed') return `no answer: ${o.error}`;
  const head = o.body.subarray(0, 40).toString('utf8');
  return `HTTP ${o.status}, answer ${JSON.stringify(head)}${o.body.length > 40 ? '…' : ''} (${o.body.length} bytes)`;
}

export class Deliveries {
  private current: DeliveryKnobs;
  private readonly held: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private readonly waiters: (() => void)[] = [];
  private pending = 0;
  private stopped = false;
  private readonly send: Sender;

  constructor(private readonly options: DeliveryOptions) {
    this.current = checkKnobs(options.knobs);
    this.send = options.send ?? postForm;
  }

  knobs(): DeliveryKnobs {
    return { ...this.current };
  }

  setKnobs(k: Partial<DeliveryKnobs>): DeliveryKnobs {
    this.current = checkKnobs({ ...this.current, ...k });
    const now = this.current;
    this.options.log.add('knobs', `duplicate=${now.duplicate} delayMs=${now.delayMs} hold=${now.hold} drop=${now.drop}`);
    return this.knobs();
  }

  /** Queues a new notification's first send (dropped, held, delayed or at once per the knobs). */
  enqueue(n: OutgoingNotification): void {
    if (this.stopped) return;
    if (this.current.drop) {
      this.options.log.add('notify_dropped', `${n.label} to ${n.url} dropped: never sent (knob drop)`, refs(n));
      return;
    }
    const d: Delivery = { n, sends: 0 };
    if (this.current.hold) {
      this.held.push(d);
      this.options.log.add('notify_held', `${n.label} to ${n.url} held until release (${this.held.length} held)`, refs(n));
      return;
    }
    this.schedule(d, this.current.delayMs);
  }

  /** Sends every held notification's first send, one after another in the given order; returns how many. */
  release(order: 'fifo' | 'reverse' = 'fifo'): number {
    const list = this.held.splice(0);
    if (order === 'reverse') list.reverse();
    this.options.log.add('notify_released', `${list.length} held notification(s) released, ${order}`);
    if (list.length === 0 || this.stopped) return list.length;
    // One after another (each first send answered before the next starts), so the order reaches the merchant as is.
    void this.track(
      (async () => {
        for (const d of list) {
          if (this.stopped) return;
          this.options.log.add('notify_released', `${d.n.label} released`, refs(d.n));
          await this.attempt(d);
        }
      })(),
    );
    return list.length;
  }

  heldCount(): number {
    return this.held.length;
  }

  idle(): Promise<void> {
    if (this.pending === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.controllers) c.abort();
    this.held.length = 0;
    this.wake();
  }

  private schedule(d: Delivery, ms: number): void {
    if (this.stopped) return;
    this.pending++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(d).finally(() => this.done());
    }, ms);
    this.timers.add(timer);
  }

  private track(p: Promise<void>): Promise<void> {
    this.pending++;
    return p.finally(() => this.done());
  }

  private done(): void {
    this.pending--;
    if (this.pending === 0) this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** One send (plus the duplicate copies, concurrently); schedules the next one unless delivered or out of sends. */
  private async attempt(d: Delivery): Promise<void> {
    if (this.stopped) return;
    const n = d.n;
    const sendNo = ++d.sends;
    const copies = this.current.duplicate;
    const outcomes = await Promise.all(Array.from({ length: 1 + copies }, () => this.sendOne(n)));
    if (this.stopped) return;
    const log = this.options.log;
    outcomes.forEach((o, i) => {
      if (isDelivered(o)) this.options.onSuccess(n.notifyId);
      if (i > 0) log.add('notify_duplicate', `duplicate copy ${i}/${copies} of send ${sendNo}/${MAX_SENDS} of ${n.label}: ${describeOutcome(o)}`, refs(n));
    });
    const main = outcomes[0]!;
    const delivered = outcomes.some(isDelivered);
    let next = '';
    if (!delivered && sendNo < MAX_SENDS) {
      const wait = Math.round(RETRY_INTERVALS_MS[sendNo - 1]! / this.options.retrySpeedup);
      next = `; next send in ${wait} ms`;
      this.schedule(d, wait);
    }
    log.add('notify_send', `send ${sendNo}/${MAX_SENDS} of ${n.label} to ${n.url}: ${describeOutcome(main)}${delivered ? ' — delivered' : next}`, refs(n));
    if (!delivered && sendNo >= MAX_SENDS) {
      log.add('notify_gave_up', `gave up on ${n.label} after ${MAX_SENDS} sends without the answer "success"`, refs(n));
    }
  }

  private async sendOne(n: OutgoingNotification): Promise<SendOutcome> {
    const controller = new AbortController();
    this.controllers.add(controller);
    try {
      return await this.send(n.url, n.body, n.contentType, this.options.timeoutMs, controller.signal);
    } catch (err) {
      return { kind: 'failed', error: (err as Error)?.message ?? String(err) };
    } finally {
      this.controllers.delete(controller);
    }
  }
}

const refs = (n: OutgoingNotification): LogRefs => ({ ...n.trade, notifyId: n.notifyId });
