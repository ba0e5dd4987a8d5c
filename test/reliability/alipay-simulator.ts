// Alipay's side of notification delivery: every notification is sent until it is answered exactly `success`, at most
// 8 sends on Alipay's schedule (+2m, 10m, 10m, 1h, 2h, 6h, 15h; protocol doc §3.5) compressed by `speedup`. Each copy
// (Alipay duplicates notifications) is a sender of its own; sends are shuffled, some copies arrive all at once, and at
// most `concurrency` requests are in flight. Every send is counted and timed.
import { MAX_SENDS, RETRY_INTERVALS_MS } from '../../infra/local/sandbox/deliveries.ts';
import type { SignedMessage } from '../support/alipay-messages.ts';
import { shuffled } from './random.ts';

export { MAX_SENDS, RETRY_INTERVALS_MS };

/**
 * What came back: the HTTP answer, or nothing (the connection dropped, the process died). `ms`: how long the handler
 * took, when the channel knows better than the simulator (which would also count waiting for a free container).
 */
export type Answer = ({ status: number; body: string } | { noAnswer: string }) & { ms?: number };

/** Sends one notification to notify_url (the real handler, in this process or in a Lambda-like child). */
export type Channel = (message: SignedMessage) => Promise<Answer>;

/** Only these 7 characters count (protocol doc §3.5): `success\n` or an HTTP error is a failure. */
export const isSuccess = (a: Answer): boolean => 'status' in a && a.status === 200 && a.body === 'success';

/** How an answer other than `success` is counted in the report. */
export const describeAnswer = (a: Answer): string => ('status' in a ? (a.status === 200 ? a.body.slice(0, 20) : `HTTP ${a.status}`) : 'no answer');

export interface Deliverable {
  notifyId: string;
  message: SignedMessage;
}

export interface SimulatorOptions {
  channel: Channel;
  /** Requests in flight at most. */
  concurrency: number;
  /** Copies of each notification, each resent on its own until answered `success` (default 1). */
  copies?: number;
  /** Fraction of notifications whose copies all arrive at the same moment (the rest are shuffled apart). */
  burstFraction?: number;
  /** Alipay's schedule divided by this (600: +2 min is 200 ms, +15 h is 90 s). */
  speedup: number;
  random: () => number;
  /** Told of every answer (the notify_verify models listen here). */
  onAnswer?: (notifyId: string, answer: Answer) => void;
}

export interface NotificationDeliveries {
  notifyId: string;
  /** Sends of every copy. */
  sends: number;
  /** Per copy: the send (1–8) answered `success`, or undefined if all 8 failed (Alipay gave up). */
  acceptedAtSend: (number | undefined)[];
  slowestMs: number;
}

export interface DeliveryRun {
  deliveries: number;
  perNotification: Map<string, NotificationDeliveries>;
  /** Answers other than `success`, by what they were. */
  failures: Record<string, number>;
  /** The slowest answer (or dropped connection) of any send. */
  slowestMs: number;
  /** The highest send number (1–8) at which a copy was answered `success`. */
  maxSendsToConverge: number;
  /** Notifications no copy of which was ever answered `success`: Alipay gave up on them. */
  neverAccepted: string[];
  elapsedMs: number;
}

interface Send {
  item: Deliverable;
  copy: number;
  /** 1 for the first send of this copy. */
  attempt: number;
}

export async function deliverAll(items: readonly Deliverable[], opts: SimulatorOptions): Promise<DeliveryRun> {
  const started = performance.now();
  const copies = opts.copies ?? 1;
  const stats = new Map<string, NotificationDeliveries>(items.map((i) => [i.notifyId, {
    notifyId: i.notifyId, sends: 0, acceptedAtSend: Array<number | undefined>(copies).fill(undefined), slowestMs: 0,
  }]));
  const failures: Record<string, number> = {};
  let deliveries = 0;
  let slowestMs = 0;

  // First sends: bursts (all copies at once) and single copies, shuffled together.
  const ready: Send[][] = [];
  for (const item of items) {
    const all = Array.from({ length: copies }, (_, copy) => ({ item, copy, attempt: 1 }));
    if (copies > 1 && opts.random() < (opts.burstFraction ?? 0)) ready.push(all);
    else ready.push(...all.map((s) => [s]));
  }
  const queue = shuffled(ready, opts.random);
  let head = 0;
  let waiting = 0; // resends whose timer has not fired yet
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const sendOne = async (s: Send): Promise<void> => {
    const t0 = performance.now();
    let answer: Answer;
    try {
      answer = await opts.channel(s.item.message);
    } catch (err) {
      answer = { noAnswer: err instanceof Error ? err.message : String(err) };
    }
    const ms = answer.ms ?? performance.now() - t0;
    deliveries++;
    slowestMs = Math.max(slowestMs, ms);
    const st = stats.get(s.item.notifyId)!;
    st.sends++;
    st.slowestMs = Math.max(st.slowestMs, ms);
    opts.onAnswer?.(s.item.notifyId, answer);
    if (isSuccess(answer)) {
      st.acceptedAtSend[s.copy] ??= s.attempt;
      return;
    }
    const why = describeAnswer(answer);
    failures[why] = (failures[why] ?? 0) + 1;
    if (s.attempt >= MAX_SENDS) return; // Alipay gives up on this copy
    waiting++;
    setTimeout(() => {
      waiting--;
      queue.push([{ ...s, attempt: s.attempt + 1 }]);
      poke();
    }, RETRY_INTERVALS_MS[s.attempt - 1]! / opts.speedup);
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < opts.concurrency && head < queue.length) {
        const batch = queue[head++]!;
        inFlight++;
        void Promise.all(batch.map(sendOne)).finally(() => {
          inFlight--;
          pump();
        });
      }
      if (head >= queue.length && inFlight === 0 && waiting === 0) resolve();
      else if (head >= queue.length) wake = pump;
    };
    pump();
  });

  const perNotification = stats;
  const neverAccepted = [...stats.values()].filter((s) => s.acceptedAtSend.every((a) => a === undefined)).map((s) => s.notifyId);
  const maxSendsToConverge = Math.max(0, ...[...stats.values()].flatMap((s) => s.acceptedAtSend.filter((a): a is number => a !== undefined)));
  return { deliveries, perNotification, failures, slowestMs, maxSendsToConverge, neverAccepted, elapsedMs: performance.now() - started };
}
