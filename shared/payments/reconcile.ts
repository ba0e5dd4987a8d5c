// Reconciliation: orders still awaiting payment are asked about with single_trade_query, and what Alipay reports goes
// through the same pipeline as a notification (source `query`). Lost notifications are recovered this way; orders
// unpaid past their deadline are closed with close_trade. Bounded work per run, resumable, O(pending orders).
import { unpaidDeadline } from '../alipay/it-b-pay.ts';
import type { ServerAnswer } from '../alipay/server-call.ts';
import type { Deadline } from '../deadline.ts';
import { decide } from '../orders/decide.ts';
import type { Order, TradeEvent } from '../orders/order.ts';
import { isAwaitingPayment } from '../orders/trade-status.ts';
import { processTradeEvent, type ProcessDeps } from './process-event.ts';
import type { PageCursor } from './store-port.ts';
import { eventFromQuery } from './trade-events.ts';

export interface ReconcileDeps extends ProcessDeps {
  queryTrade: (outTradeNo: string, signal: AbortSignal) => Promise<ServerAnswer>;
  closeTrade: (outTradeNo: string, signal: AbortSignal) => Promise<ServerAnswer>;
  now: () => string;
  /** Orders younger than this are left to their notifications. */
  minAgeMs: number;
  /** How long an order without it_b_pay stays payable before it is closed. */
  closeAfterMs: number;
}

export interface ReconcileOptions {
  deadline: Deadline;
  /** Orders looked at in this run at most. */
  maxOrders: number;
  /** Report what would happen; write nothing and close nothing. */
  dryRun?: boolean;
  /** Resume where the last run stopped (read from and written back to the store unless given). */
  cursor?: PageCursor | 'start';
}

export type ReconcileOutcome = 'advanced' | 'closed' | 'unchanged' | 'error';

export interface ReconcileSummary {
  checked: number;
  advanced: number;
  closed: number;
  unchanged: number;
  errors: number;
  dryRun: boolean;
  /** Set when the run stopped before the end of the pending orders; the next run continues there. */
  next?: PageCursor;
  /** One line per order checked: what happened and why. */
  orders: { outTradeNo: string; outcome: ReconcileOutcome; detail: string }[];
}

const CURSOR = 'reconcile';
const PAGE = 25;
/** Alipay's answer for a trade the buyer never opened a cashier for: nothing to pay, nothing to recover. */
const NEVER_CREATED = 'TRADE_NOT_EXIST';

export async function reconcile(deps: ReconcileDeps, opts: ReconcileOptions): Promise<ReconcileSummary> {
  const { deadline } = opts;
  const call = { signal: deadline.signal };
  const summary: ReconcileSummary = { checked: 0, advanced: 0, closed: 0, unchanged: 0, errors: 0, dryRun: opts.dryRun === true, orders: [] };
  const createdBefore = new Date(Date.parse(deps.now()) - deps.minAgeMs).toISOString();
  let cursor = opts.cursor === 'start' ? undefined : opts.cursor ?? (await deps.store.readCursor(CURSOR, call));

  for (;;) {
    const page = await deps.store.listAwaitingPayment({ createdBefore, limit: Math.min(PAGE, opts.maxOrders - summary.checked), ...(cursor ? { after: cursor } : {}) }, call);
    for (const { outTradeNo } of page.orders) {
      if (deadline.remainingMs() === 0) break;
      summary.checked++;
      const done = await reconcileOne(deps, outTradeNo, opts).catch((err: unknown) => ({
        outcome: 'error' as const, detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      }));
      summary[done.outcome === 'error' ? 'errors' : done.outcome]++;
      summary.orders.push({ outTradeNo, ...done });
    }
    cursor = page.next;
    if (!cursor || summary.checked >= opts.maxOrders || deadline.remainingMs() === 0) break;
  }
  if (cursor) summary.next = cursor;
  // The next run continues after the last order looked at; past the end it starts again from the oldest.
  if (!opts.dryRun && opts.cursor === undefined) await deps.store.writeCursor(CURSOR, cursor, call);
  return summary;
}

/** One order asked about now (the operator's "reconcile now"); a pass calls it for each pending order. */
export async function reconcileOne(deps: ReconcileDeps, outTradeNo: string, opts: Pick<ReconcileOptions, 'deadline' | 'dryRun'>): Promise<{ outcome: ReconcileOutcome; detail: string }> {
  const { deadline } = opts;
  const answer = await deps.queryTrade(outTradeNo, deadline.signal);
  const receivedAt = deps.now();
  let order: Order | undefined;
  let advanced: string | undefined;
  if (answer.ok) {
    const event = eventFromQuery(answer.response, outTradeNo, receivedAt);
    if (!event) return { outcome: 'error', detail: `single_trade_query answered a trade we cannot read for ${outTradeNo}` };
    const applied = await apply(deps, event, answer.raw, opts);
    if (applied.outcome === 'anomaly') return { outcome: 'advanced', detail: `recorded an anomaly: ${applied.detail}` };
    if (applied.outcome === 'applied') advanced = `${event.tradeStatus} from single_trade_query`;
    if ('order' in applied) order = applied.order;
  } else if (answer.error !== NEVER_CREATED) {
    return { outcome: 'error', detail: `single_trade_query answered ${answer.error}` };
  }
  order ??= await deps.store.getOrder(outTradeNo, { signal: deadline.signal });
  const settled = advanced ? { outcome: 'advanced' as const, detail: advanced } : { outcome: 'unchanged' as const, detail: order ? order.status : 'no such order' };
  if (!order || !isAwaitingPayment(order.status)) return settled;

  const closeBy = unpaidDeadline(order.createdAt, order.gatewayParams.it_b_pay, deps.closeAfterMs);
  if (receivedAt < closeBy) return advanced ? settled : { outcome: 'unchanged', detail: `unpaid (${answer.ok ? answer.response.trade_status : NEVER_CREATED}), payable until ${closeBy}` };
  return close(deps, order, receivedAt, opts);
}

/** close_trade, then the order closed through the pipeline (source `close`), so a late payment is an anomaly. */
async function close(deps: ReconcileDeps, order: Order, at: string, opts: Pick<ReconcileOptions, 'deadline' | 'dryRun'>): Promise<{ outcome: ReconcileOutcome; detail: string }> {
  if (opts.dryRun) return { outcome: 'closed', detail: 'would close: unpaid past its deadline (dry run)' };
  const answer = await deps.closeTrade(order.outTradeNo, opts.deadline.signal);
  // A trade Alipay never created cannot be closed there, and cannot be paid either once the order is closed here.
  if (!answer.ok && answer.error !== NEVER_CREATED) return { outcome: 'error', detail: `close_trade answered ${answer.error}` };
  const event = closeEvent(order, at);
  const result = await processTradeEvent(deps, event, answer.raw, { deadline: opts.deadline });
  return result.outcome === 'applied' ? { outcome: 'closed', detail: 'unpaid past its deadline: closed' } : { outcome: 'unchanged', detail: `close ${result.outcome}` };
}

/** Our close_trade, as the event that closes the order. */
export const closeEvent = (order: Order, at: string): TradeEvent => ({
  eventId: `close#${order.outTradeNo}`, source: 'close', receivedAt: at, outTradeNo: order.outTradeNo, tradeStatus: 'TRADE_CLOSED',
  useCoupon: false, ...(order.tradeNo ? { tradeNo: order.tradeNo } : {}),
});

async function apply(deps: ReconcileDeps, event: TradeEvent, raw: Buffer, opts: Pick<ReconcileOptions, 'deadline' | 'dryRun'>) {
  if (!opts.dryRun) return processTradeEvent(deps, event, raw, { deadline: opts.deadline });
  // A dry run decides on what is stored and writes nothing.
  const { order } = await deps.store.readForEvent(event.outTradeNo, event.eventId, { signal: opts.deadline.signal });
  const decision = decide(order, event, { partner: deps.partner });
  const detail = decision.outcome === 'anomaly' ? decision.anomalies.map((a) => a.code).join(', ') : decision.outcome;
  return { outcome: decision.outcome, ...(order ? { order } : {}), detail };
}
