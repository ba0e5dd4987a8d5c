// Scheduled: one reconciliation pass. Orders still awaiting payment are asked about with single_trade_query and
// settled through the same pipeline as a notification; unpaid ones past their deadline are closed.
import { randomUUID } from 'node:crypto';
import { getApp } from '../shared/app.ts';
import { reconcileDeps } from '../shared/gateway-calls.ts';
import { logger } from '../shared/log.ts';
import { countMetric, flushMetrics } from '../shared/metrics.ts';
import { reconcile, type ReconcileSummary } from '../shared/payments/reconcile.ts';

export type ReconcileRun = Omit<ReconcileSummary, 'orders' | 'next'> & { more: boolean };

export async function handler(): Promise<ReconcileRun> {
  const log = logger(`reconcile-${randomUUID()}`);
  const app = await getApp(['ALIPAY_KEY']);
  const summary = await reconcile(reconcileDeps(app), { deadline: app.deadline(), maxOrders: app.config.reconcile.maxOrders });
  for (const o of summary.orders) if (o.outcome === 'error') log.warn('reconcile could not settle an order', { outTradeNo: o.outTradeNo, detail: o.detail });
  const { orders: _orders, next, ...counts } = summary;
  const run = { ...counts, more: next !== undefined };
  // One line per run: what a dashboard or an alarm reads.
  log.info('reconcile run', run);
  countMetric('ReconcileChecked', run.checked);
  countMetric('ReconcileAdvanced', run.advanced);
  countMetric('ReconcileClosed', run.closed);
  countMetric('ReconcileUnchanged', run.unchanged);
  countMetric('ReconcileErrors', run.errors);
  // Zero included: the alarm reads the minimum over several runs, so one quiet run clears it.
  countMetric('ReconcilePending', run.unchanged + run.errors);
  flushMetrics();
  return run;
}
