// `alipay reconcile`: one reconciliation pass now, the scheduled function's use case with the operator's bounds.
import { reconcileDeps } from '../../../shared/gateway-calls.ts';
import { reconcile as reconcilePass, type ReconcileSummary } from '../../../shared/payments/reconcile.ts';
import type { PaymentStore } from '../../../shared/payments/store-port.ts';
import { type Command, EXIT, parseCount, parseFlags, parseSince } from '../command.ts';
import { table } from '../order-text.ts';
import { onTarget, TARGET_FLAGS, TARGET_HELP, targetOptions, type TargetOptions } from '../target.ts';
import { cliDeadline, openApp } from '../wiring.ts';

interface ReconcileOptions {
  since?: string;
  dryRun: boolean;
  max?: number;
  json: boolean;
  target: TargetOptions;
}

const MAX = 10_000;

/** The store, with the awaiting-payment listing limited to orders created at or after `since`. */
function createdSince(store: PaymentStore, since: string): PaymentStore {
  const limited = Object.create(store) as PaymentStore;
  limited.listAwaitingPayment = (query, opts) => store.listAwaitingPayment({ ...query, createdAfter: since }, opts);
  return limited;
}

export const reconcile: Command<ReconcileOptions> = {
  name: 'reconcile',
  synopsis: 'reconcile [--since T] [--dry-run] [--max N] [--json]',
  summary: 'one reconciliation pass now',
  help: `usage: npm run --silent alipay -- reconcile [--since T] [--dry-run] [--max N] [--json] [where]

One pass of what the scheduled reconcile function does, now: every order still awaiting payment (older than
RECONCILE_MIN_AGE_MINUTES, default 30) is asked about with single_trade_query, and what Alipay reports goes through
the same pipeline as a notification; an order unpaid past its it_b_pay (or RECONCILE_CLOSE_AFTER_MINUTES) is closed
with close_trade. Starts from the oldest such order and leaves the scheduled run's place alone.
  --since T    only orders created at or after T (2024-05-01, 2024-05-01T08:00:00Z, or 90m, 12h, 7d back)
  --dry-run    ask Alipay, decide, and print what would happen; write nothing and close nothing
  --max N      look at N orders at most (default RECONCILE_MAX_ORDERS, 200)
Prints the counts, then one line per order. Needs the key (it signs the calls). Exit 0, or 1 when an order could
not be settled (its line says why).

${TARGET_HELP}`,
  parse(argv) {
    const { values } = parseFlags(argv, { since: { type: 'string' }, 'dry-run': { type: 'boolean' }, max: { type: 'string' }, json: { type: 'boolean' }, ...TARGET_FLAGS });
    const since = parseSince(values.since);
    return {
      ...(since === undefined ? {} : { since }),
      dryRun: values['dry-run'] === true,
      ...(values.max === undefined ? {} : { max: parseCount(values.max, '--max', 0, MAX) }),
      json: values.json === true,
      target: targetOptions(values),
    };
  },
  run: (opts, io) => onTarget(opts.target, async (target) => {
    const app = await openApp(target, true);
    const deps = reconcileDeps(app);
    const summary = await reconcilePass(opts.since === undefined ? deps : { ...deps, store: createdSince(deps.store, opts.since) }, {
      deadline: cliDeadline(), maxOrders: opts.max ?? app.config.reconcile.maxOrders, dryRun: opts.dryRun, cursor: 'start',
    });
    io.out(opts.json ? JSON.stringify({ ...summary, more: summary.next !== undefined, next: undefined }, null, 2) : formatSummary(summary));
    return summary.errors > 0 ? EXIT.failed : EXIT.ok;
  }),
};

function formatSummary(s: ReconcileSummary): string {
  const lines = [
    `reconcile${s.dryRun ? ' (dry run: nothing written)' : ''}: checked ${s.checked}, advanced ${s.advanced}, closed ${s.closed}, unchanged ${s.unchanged}, errors ${s.errors}`,
    ...table(s.orders.map((o) => [o.outTradeNo, o.outcome, o.detail])),
  ];
  if (s.next) lines.push('more orders await payment than --max: run again with a larger --max, or a later --since');
  return lines.join('\n');
}
