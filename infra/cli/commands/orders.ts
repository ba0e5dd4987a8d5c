// `alipay orders`: orders newest first, by status, with anomalies, or since a time, from the listing indexes.
import { type OrderStatus, TRADE_STATUSES } from '../../../shared/orders/trade-status.ts';
import type { OrderQuery, PageCursor } from '../../../shared/payments/store-port.ts';
import { InvalidCursorError } from '../../../shared/store/order-listing.ts';
import { type Command, EXIT, parseCount, parseFlags, parseSince, UsageError } from '../command.ts';
import { formatListing } from '../order-text.ts';
import { onTarget, TARGET_FLAGS, TARGET_HELP, targetOptions, type TargetOptions } from '../target.ts';
import { cliDeadline, openStore } from '../wiring.ts';

const STATUSES: readonly OrderStatus[] = ['CREATED', ...TRADE_STATUSES];
const MAX_LIMIT = 1000;

interface OrdersOptions {
  query: OrderQuery;
  json: boolean;
  target: TargetOptions;
}

/** A page cursor as one shell-safe word. */
export const encodeCursor = (cursor: PageCursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(word: string): PageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(word, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) return value as PageCursor;
  } catch {
    // reported below
  }
  throw new UsageError('--cursor is not a cursor this command printed: copy it from the "more:" line of the previous page');
}

export const orders: Command<OrdersOptions> = {
  name: 'orders',
  synopsis: 'orders [--status S] [--anomalies] [--since T] [--limit N] [--json]',
  summary: 'orders newest first, from the listing indexes (never a scan)',
  help: `usage: npm run --silent alipay -- orders [--status S] [--anomalies] [--since T] [--limit N] [--cursor C] [--json] [where]

Orders, newest first: created, out_trade_no, status, amount, paid (yuan), service, and whether anomalies are recorded.
  --status S      only this status: ${STATUSES.join(', ')}
  --anomalies     only orders with anomalies (with --status: those of that status)
  --since T       only orders created at or after T: an ISO 8601 time (2024-05-01, 2024-05-01T08:00:00Z) or a span
                  back from now (90m, 12h, 7d)
  --limit N       at most N orders (default 20, at most ${MAX_LIMIT}); when there are more, the last line says
                  "more: --cursor C": run the same command with it for the next page
  --json          {"orders": [...], "next": C?} with amounts in fen
Reads the Orders table's indexes (by-status, with-anomalies), never the whole table: without --status, one query
per status. Exit 0 (also when none match).

${TARGET_HELP}`,
  parse(argv) {
    const { values } = parseFlags(argv, {
      status: { type: 'string' }, anomalies: { type: 'boolean' }, since: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' },
      json: { type: 'boolean' }, ...TARGET_FLAGS,
    });
    if (values.status !== undefined && !(STATUSES as readonly string[]).includes(values.status)) {
      throw new UsageError(`--status "${values.status}" is not an order status: use one of ${STATUSES.join(', ')}`);
    }
    const since = parseSince(values.since);
    return {
      query: {
        limit: parseCount(values.limit, '--limit', 20, MAX_LIMIT),
        ...(values.status === undefined ? {} : { status: values.status as OrderStatus }),
        ...(values.anomalies ? { anomalies: true } : {}),
        ...(since === undefined ? {} : { since }),
        ...(values.cursor === undefined ? {} : { cursor: decodeCursor(values.cursor) }),
      },
      json: values.json === true,
      target: targetOptions(values),
    };
  },
  run: (opts, io) => onTarget(opts.target, async (target) => {
    let page;
    try {
      page = await openStore(target).listOrders(opts.query, { signal: cliDeadline().signal });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new UsageError(`--cursor: ${err.message}`);
      throw err;
    }
    const next = page.next ? encodeCursor(page.next) : undefined;
    if (opts.json) {
      io.out(JSON.stringify({ orders: page.orders, ...(next ? { next } : {}) }, null, 2));
    } else {
      io.out(formatListing(page.orders));
      if (next) io.out(`more: --cursor ${next}`);
    }
    return EXIT.ok;
  }),
};
