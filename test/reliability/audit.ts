// After a scenario: what was stored, against what Alipay sent and what each lifecycle says the order must be.
// Lost: a notification answered `success` without a record of it, or never answered `success` in 8 sends.
// Double-applied: an order whose version is not 1 + its recorded applications, or whose history repeats or misses one.
// Wrong final state: status, refund, trade_no or amount paid other than the lifecycle's end, or any anomaly.
// Backwards: an order seen (while the scenario ran, or in its history) at an earlier state than before.
import type { Order } from '../../shared/orders/order.ts';
import { tradeNoFor } from '../support/alipay-messages.ts';
import type { NotificationItem } from '../support/app-env.ts';
import type { DeliveryRun } from './alipay-simulator.ts';
import { progress, type TradePlan } from './lifecycles.ts';
import { mapLimit } from './pool.ts';

export interface AuditResult {
  orders: number;
  notifications: number;
  lost: string[];
  doubleApplied: string[];
  wrongFinal: string[];
  backwards: string[];
  /** Records of a genuine notification that notify_verify disowned (kept aside; harmless if the notification was also recorded). */
  rejectedRecords: number;
}

/** The fields the audit reads from each stored order, by out_trade_no. */
export type StoredOrders = Map<string, Order | undefined>;

export async function readOrders(plans: readonly TradePlan[], read: (outTradeNo: string) => Promise<Order | undefined>): Promise<StoredOrders> {
  const found = await mapLimit(plans, 16, (p) => read(p.outTradeNo));
  return new Map(plans.map((p, i) => [p.outTradeNo, found[i]]));
}

const APPLYING = new Set(['applied', 'anomaly']); // outcomes that wrote a new version of the order
const RECORDED_OK = new Set(['applied', 'duplicate', 'stale']);

export function audit(input: {
  plans: readonly TradePlan[];
  orders: StoredOrders;
  records: readonly NotificationItem[];
  /** What Alipay saw; absent when the notifications were not sent through the simulator. */
  delivery?: DeliveryRun;
  /** Backward moves a watcher saw while the scenario ran. */
  observedBackwards?: readonly string[];
}): AuditResult {
  const byEventId = new Map<string, NotificationItem>();
  const byOrder = new Map<string, NotificationItem[]>();
  let rejectedRecords = 0;
  const ours = new Set(input.plans.flatMap((p) => p.notifications.map((n) => n.notifyId)));
  for (const r of input.records) {
    if (r.rejected === true) {
      if (ours.has(String(r.claimedEventId))) rejectedRecords++;
      continue;
    }
    byEventId.set(String(r.eventId), r);
    const list = byOrder.get(String(r.outTradeNo)) ?? [];
    list.push(r);
    byOrder.set(String(r.outTradeNo), list);
  }

  const lost: string[] = [];
  const doubleApplied: string[] = [];
  const wrongFinal: string[] = [];
  const backwards: string[] = [...(input.observedBackwards ?? [])];
  for (const plan of input.plans) {
    const name = `${plan.outTradeNo} (${plan.lifecycle.name})`;
    const order = input.orders.get(plan.outTradeNo);
    if (!order) {
      wrongFinal.push(`${name}: no order`);
      continue;
    }
    for (const n of plan.notifications) {
      const record = byEventId.get(n.notifyId);
      const delivered = input.delivery?.perNotification.get(n.notifyId);
      const accepted = delivered === undefined ? true : delivered.acceptedAtSend.some((a) => a !== undefined);
      if (!accepted) lost.push(`${name}: ${n.state.tradeStatus} (${n.notifyId}) was never answered success in ${delivered!.sends} sends`);
      else if (!record) lost.push(`${name}: ${n.state.tradeStatus} (${n.notifyId}) was answered success but is not recorded`);
      else if (!RECORDED_OK.has(String(record.outcome))) wrongFinal.push(`${name}: ${n.state.tradeStatus} was recorded as ${record.outcome}: ${record.detail}`);
    }

    const records = byOrder.get(plan.outTradeNo) ?? [];
    const applications = records.filter((r) => APPLYING.has(String(r.outcome)));
    if (order.version !== 1 + applications.length) {
      doubleApplied.push(`${name}: version ${order.version}, but ${applications.length} recorded application(s)`);
    }
    const historyIds = order.history.map((h) => h.eventId);
    if (new Set(historyIds).size !== historyIds.length) doubleApplied.push(`${name}: history repeats an event: ${historyIds.join(', ')}`);
    const appliedIds = records.filter((r) => r.outcome === 'applied').map((r) => String(r.eventId)).sort();
    if ([...historyIds].sort().join() !== appliedIds.join()) {
      doubleApplied.push(`${name}: history ${historyIds.join(', ')} is not the applied records ${appliedIds.join(', ')}`);
    }

    const problems = endProblems(plan, order);
    if (problems.length > 0) wrongFinal.push(`${name}: ${problems.join('; ')}`);

    // The history climbs the lifecycle: each application is a later state than the one before.
    let last = -1;
    for (const h of order.history) {
      const states = plan.lifecycle.states;
      let at = states.length - 1;
      while (at >= 0 && !(states[at]!.tradeStatus === h.status && states[at]!.refund?.status === h.refundStatus)) at--;
      if (at < last) backwards.push(`${name}: history goes back to ${h.status}${h.refundStatus ? `/${h.refundStatus}` : ''}`);
      last = Math.max(last, at);
    }
  }
  return {
    orders: input.plans.length,
    notifications: ours.size,
    lost, doubleApplied, wrongFinal, backwards, rejectedRecords,
  };
}

/** How `order` differs from where its lifecycle says it must end (nothing: it is right). */
export function endProblems(plan: TradePlan, order: Order): string[] {
  const e = plan.expected;
  const problems: string[] = [];
  if (order.status !== e.status) problems.push(`status ${order.status}, expected ${e.status}`);
  if (order.refund?.status !== e.refund?.status || order.refund?.at !== e.refund?.at) {
    problems.push(`refund ${JSON.stringify(order.refund ?? null)}, expected ${JSON.stringify(e.refund ?? null)}`);
  }
  if (order.tradeNo !== tradeNoFor(plan.outTradeNo)) problems.push(`trade_no ${order.tradeNo}`);
  const paidFen = Math.round(Number(plan.paidFee) * 100);
  if (e.paid && order.paidFen !== paidFen) problems.push(`paid ${order.paidFen ?? 'nothing'}, expected ${paidFen} fen`);
  if (!e.paid && order.paidFen !== undefined) problems.push(`paid ${order.paidFen} fen for a trade never paid`);
  if (order.anomalies.length > 0) problems.push(`anomalies ${order.anomalies.map((a) => a.code).join(', ')}`);
  return problems;
}

/**
 * Reads random orders over and over while a scenario runs and notes any that shows an earlier state of its lifecycle
 * than it showed before (or a state its lifecycle never has).
 */
export function watchProgress(plans: readonly TradePlan[], read: (outTradeNo: string) => Promise<Order | undefined>, random: () => number): { stop(): Promise<{ reads: number; backwards: string[] }> } {
  const seen = new Map<string, number>();
  const backwards: string[] = [];
  let reads = 0;
  let running = true;
  const loop = (async () => {
    while (running && plans.length > 0) {
      const plan = plans[Math.floor(random() * plans.length)]!;
      const order = await read(plan.outTradeNo).catch(() => undefined);
      reads++;
      if (!order) continue;
      const at = progress(plan.lifecycle, order);
      const name = `${plan.outTradeNo} (${plan.lifecycle.name})`;
      if (at === undefined) {
        backwards.push(`${name}: seen in a state its lifecycle never has: ${order.status}/${order.refund?.status ?? '-'}`);
        continue;
      }
      const before = seen.get(plan.outTradeNo) ?? -1;
      if (at < before) backwards.push(`${name}: seen at state ${at} after state ${before}`);
      seen.set(plan.outTradeNo, Math.max(before, at));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { reads, backwards };
    },
  };
}

/** Samples this process's resident memory until stopped; the peak in MB. */
export function sampleRss(everyMs = 1_000): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024);
    },
  };
}
