// The orders console: GET /console (orders, newest first, with filters), GET /console/orders/{outTradeNo} (one order's
// timeline), POST /console/orders/{outTradeNo}/{action} (asks for confirmation, then acts through the same use cases
// as the API and the CLI). It reads through the store's listing and record queries only. Served by `npm start` beside
// the API, and by `npm run console` against a stage's tables. Only ever on 127.0.0.1: requests must name a loopback
// host (no DNS rebinding), and an action must come from the console's own page (same origin, the process's token).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { AlipayError } from '../../shared/alipay/errors.ts';
import { escapeHtml as esc } from '../../shared/alipay/request.ts';
import { formatYuan, parseYuan } from '../../shared/alipay/amount.ts';
import { isOutTradeNo } from '../../shared/alipay/services.ts';
import type { Order } from '../../shared/orders/order.ts';
import { PaymentError, type PaymentErrorCode } from '../../shared/payments/errors.ts';
import { refundAskFrom, shipmentFrom } from '../../shared/payments/operations.ts';
import type { EventRecord, PageCursor, PaymentStore } from '../../shared/payments/store-port.ts';
import { InvalidCursorError } from '../../shared/store/order-listing.ts';
import { formatReplay } from '../cli/commands/replay.ts';
import { encodeCursor } from '../cli/commands/orders.ts';
import type { RawHttpRequest } from '../local/http-adapter.ts';
import { ACTION_NAMES, type ActionName, type ConsoleActions, withoutEmpty } from './actions.ts';
import {
  BASE, confirmPage, donePage, type Frame, layout, listPage, type ListFilters, ORDER_STATUSES, orderPage, type OrderLinks, problemPage,
} from './pages.ts';

/** What the console reads: the store's operator queries, nothing else. */
export type ConsoleStore = Pick<PaymentStore, 'listOrders' | 'getOrder' | 'listEventRecords'>;

export interface ConsoleOptions {
  store: ConsoleStore;
  /** Where it reads, in words, shown on every page (never a key or token). */
  where: string;
  /** The actions, built when first used; absent: read-only (actions hidden, and refused with 403). */
  actions?: () => Promise<ConsoleActions>;
  /** Local only: the order's sandbox cashier, result page and sandbox log. */
  links?: (order: Order) => OrderLinks;
  /** The per-process token every action form carries (default: random). */
  csrf?: string;
  /** An unexpected failure in words that say what to do (default: its message). */
  explain?: (err: unknown) => string;
}

export type ConsoleHandler = (req: RawHttpRequest, res: http.ServerResponse) => Promise<void>;

/** Does this request target belong to the console? */
export const isConsoleTarget = (target: string): boolean => /^\/console(?:[/?]|$)/.test(target);

const MAX_RECORDS = 500;
const RECORD_PAGE = 100;

class Problem extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function consoleHandler(opts: ConsoleOptions): ConsoleHandler {
  const csrf = opts.csrf ?? randomBytes(24).toString('base64url');
  const frame: Frame = { where: opts.where, actions: opts.actions !== undefined };
  let actions: Promise<ConsoleActions> | undefined;
  const getActions = () => {
    actions ??= opts.actions!().catch((err: unknown) => {
      actions = undefined; // a failed start (no key yet) is tried again next time
      throw err;
    });
    return actions;
  };

  return async (req, res) => {
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Not no-referrer: with it a browser posts forms with `Origin: null`, which the same-origin check refuses.
        'referrer-policy': 'same-origin',
        // No script at all; forms may go to Alipay's refund confirmation page (pwd refunds).
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ...extra,
      }).end(body);
    };
    const q = req.target.indexOf('?');
    const path = q < 0 ? req.target : req.target.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : req.target.slice(q + 1));
    const header = (name: string) => req.headers.find(([k]) => k.toLowerCase() === name)?.[1];
    try {
      const host = header('host') ?? '';
      if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(host)) throw new Problem(403, `the console answers only requests to 127.0.0.1 or localhost, not to "${host}"`);

      if (path === BASE || path === `${BASE}/`) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new Problem(405, 'the order list is read with GET');
        return send(200, await renderList(opts.store, frame, query));
      }
      const m = /^\/console\/orders\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
      if (!m) throw new Problem(404, `nothing at ${path}: the console is at ${BASE}`);
      let outTradeNo: string;
      try {
        outTradeNo = decodeURIComponent(m[1]!);
      } catch {
        throw new Problem(400, 'the order number in the address is not valid percent-encoding');
      }
      if (!isOutTradeNo(outTradeNo)) throw new Problem(400, `"${outTradeNo}" is not an out_trade_no (1 to 64 of A-Z a-z 0-9 _ -)`);
      const action = m[2];
      if (action === undefined) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new Problem(405, 'an order is read with GET');
        return send(200, await renderOrder(opts, frame, outTradeNo, csrf));
      }
      if (!(ACTION_NAMES as readonly string[]).includes(action)) throw new Problem(404, `no action "${action}": ${ACTION_NAMES.join(', ')}`);
      if (req.method !== 'POST') throw new Problem(405, `${action} is done with POST from the order's page`);
      if (!opts.actions) throw new Problem(403, 'this console is read-only: start it with --allow-actions to act on orders');
      checkSameOrigin(header, host);
      const fields = formFields(req);
      if (!sameToken(fields.csrf ?? '', csrf)) throw new Problem(403, "this form is not from this console's page (or the console restarted): open the order again and retry");
      return send(...(await act(frame, await getActions(), action as ActionName, outTradeNo, fields, csrf)));
    } catch (err) {
      const [status, message] = problemOf(err, opts.explain);
      send(status, problemPage(frame, status, message, path.startsWith(`${BASE}/orders/`) ? path.replace(/\/[a-z]+$/, '') : BASE));
    }
  };
}

/** An action must come from a page of this console: a browser says where a form was posted from. */
function checkSameOrigin(header: (name: string) => string | undefined, host: string): void {
  const origin = header('origin');
  if (origin !== undefined && origin !== `http://${host}`) throw new Problem(403, `an action must be posted from the console's own page, not from ${origin}`);
  const site = header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new Problem(403, 'an action must be posted from the console\'s own page');
}

const sameToken = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

function formFields(req: RawHttpRequest): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) fields[k] = v;
  return fields;
}

// ---- reading ---------------------------------------------------------------------------------------------------------

function filtersFrom(query: URLSearchParams): ListFilters {
  const status = query.get('status') || undefined;
  if (status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(status)) throw new Problem(400, `status "${status}" is not an order status: ${ORDER_STATUSES.join(', ')}`);
  const since = query.get('since') || undefined;
  if (since !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(since) || Number.isNaN(Date.parse(since)))) throw new Problem(400, `since "${since}" is not a date like 2026-05-01`);
  const limitText = query.get('limit') || '50';
  if (!/^[1-9]\d{0,2}$/.test(limitText) || Number(limitText) > 200) throw new Problem(400, `limit must be a whole number from 1 to 200, got "${limitText}"`);
  return {
    ...(status ? { status: status as ListFilters['status'] } : {}),
    anomalies: query.get('anomalies') === '1',
    ...(query.get('service') ? { service: query.get('service')! } : {}),
    ...(since ? { since } : {}),
    limit: Number(limitText),
  };
}

function cursorFrom(word: string | null): PageCursor | undefined {
  if (!word) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(word, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string')) return value as PageCursor;
  } catch {
    // said below
  }
  throw new Problem(400, 'this page link is broken: go back to the first page');
}

async function renderList(store: ConsoleStore, frame: Frame, query: URLSearchParams): Promise<string> {
  const f = filtersFrom(query);
  const cursor = cursorFrom(query.get('cursor'));
  const page = await store.listOrders({
    limit: f.limit,
    ...(f.status ? { status: f.status } : {}),
    ...(f.anomalies ? { anomalies: true } : {}),
    ...(f.since ? { since: new Date(f.since).toISOString() } : {}),
    ...(cursor ? { cursor } : {}),
  });
  // No index has the service: the page read from the indexes is filtered here (the page says so).
  const shown = f.service ? page.orders.filter((o) => o.service === f.service) : page.orders;
  return listPage(frame, f, shown, page.orders.length, page.next ? encodeCursor(page.next) : undefined);
}

async function renderOrder(opts: ConsoleOptions, frame: Frame, outTradeNo: string, csrf: string): Promise<string> {
  const [order, read] = await Promise.all([opts.store.getOrder(outTradeNo), readRecords(opts.store, outTradeNo)]);
  if (!order) {
    if (read.records.length === 0) throw new Problem(404, `no order ${outTradeNo} in ${frame.where}`);
    // Messages about an order we do not have (unknown_order): show them anyway.
    return layout(frame, `No order ${outTradeNo}`, `<div class="error" id="problem">no order ${esc(outTradeNo)} is stored, but ${read.records.length} message(s) name it</div>`)
      .replace('</body>', `${orderlessRecords(read.records)}</body>`);
  }
  return orderPage(frame, { order, records: read.records, recordsCut: read.cut, links: opts.links?.(order) ?? {}, csrf });
}

async function readRecords(store: ConsoleStore, outTradeNo: string): Promise<{ records: EventRecord[]; cut: boolean }> {
  const records: EventRecord[] = [];
  let cursor: PageCursor | undefined;
  do {
    const page = await store.listEventRecords(outTradeNo, { limit: RECORD_PAGE, ...(cursor ? { cursor } : {}) });
    records.push(...page.records);
    cursor = page.next;
  } while (cursor && records.length < MAX_RECORDS);
  return { records, cut: cursor !== undefined };
}

const orderlessRecords = (records: EventRecord[]) =>
  `<ul id="timeline">${records.map((r) => `<li data-kind="message">${esc(`${r.receivedAt} ${r.source} ${r.outcome} ${r.eventId}${r.detail ? ` — ${r.detail}` : ''}`)}</li>`).join('')}</ul>`;

// ---- acting ----------------------------------------------------------------------------------------------------------

type Reply = [status: number, body: string];

/** Without `confirmed=yes`: the confirmation page (with a dry run where there is one). With it: the action. */
async function act(frame: Frame, actions: ConsoleActions, action: ActionName, outTradeNo: string, fields: Record<string, string>, csrf: string): Promise<Reply> {
  const confirmed = fields.confirmed === 'yes';
  const { csrf: _token, confirmed: _confirmed, ...input } = fields;
  const ask = (question: string, kept: Record<string, string>, preview?: string): Reply =>
    [200, confirmPage(frame, { outTradeNo, action, fields: kept, question, csrf, ...(preview ? { preview } : {}) })];
  const done = (title: string, detail?: string, extra: Partial<Parameters<typeof donePage>[1]> = {}): Reply =>
    [200, donePage(frame, { outTradeNo, title, ...(detail ? { detail } : {}), ...extra })];

  switch (action) {
    case 'close': {
      if (!confirmed) return ask(`Close order ${outTradeNo}? close_trade is sent to Alipay, and the buyer can no longer pay it.`, {});
      const order = await actions.close(outTradeNo);
      return done(`Order ${outTradeNo} closed`, `status ${order.status}`);
    }
    case 'reconcile': {
      if (!confirmed) {
        const dry = await actions.reconcile(outTradeNo, true);
        return ask(`Reconcile order ${outTradeNo} now? Alipay is asked about it (single_trade_query); what it reports is applied, and an unpaid order past its deadline is closed.`, {}, `${dry.outcome}: ${dry.detail}`);
      }
      const result = await actions.reconcile(outTradeNo, false);
      return done(`Reconciled ${outTradeNo}: ${result.outcome}`, result.detail);
    }
    case 'ship': {
      const shipping = pick(input, ['logisticsName', 'invoiceNo', 'transportType']);
      const s = shipmentFrom(withoutEmpty(shipping, ['invoiceNo']), new Date().toISOString()); // checked before asking
      if (!confirmed) return ask(`Ship order ${outTradeNo}: ${s.logisticsName} ${s.invoiceNo} (${s.transportType})? Alipay is told the goods are on their way.`, shipping);
      const order = await actions.ship(outTradeNo, shipping);
      return done(`Order ${outTradeNo} shipped`, `${s.logisticsName} ${s.invoiceNo} (${s.transportType}); status ${order.status} until Alipay reports the buyer's side`);
    }
    case 'refund': {
      // A request id fixed on the confirmation page: the same confirmation sent twice is the same refund, never two.
      const refund = { ...pick(input, ['amount', 'reason', 'mode', 'requestId']) };
      if (!refund.requestId) refund.requestId = `console-${randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}`;
      const checked = refundAskFrom(withoutEmpty(refund, ['mode', 'requestId']), 'pwd', refund.requestId);
      if (!confirmed) {
        return ask(`Refund ¥${formatYuan(parseYuan(refund.amount, 'amount'))} of order ${outTradeNo}${refund.mode ? ` (${refund.mode})` : ''}? Reason shown to the buyer: ${checked.reason}`, refund);
      }
      const answer = await actions.refund(outTradeNo, refund);
      const r = answer.refund;
      return done(
        `Refund ${r.batchNo} ${answer.created ? 'requested' : 'was requested already'}: ¥${formatYuan(r.amountFen)} (${r.mode}), ${r.status}`,
        answer.stale ? 'asked for on an earlier day: not sent again; it settles when Alipay reports it' : undefined,
        answer.confirm ? { alipayForm: { action: answer.confirm.form.action, method: answer.confirm.form.method, fields: answer.confirm.form.fields } } : {},
      );
    }
    case 'replay': {
      const eventId = input.eventId ?? '';
      if (!eventId) throw new Problem(400, 'which message? the replay form names its event id');
      const result = await actions.replay(eventId, confirmed);
      if (result.kind === 'not_found') throw new Problem(404, `no event record ${eventId}`);
      if (result.record.outTradeNo !== undefined && result.record.outTradeNo !== outTradeNo) throw new Problem(400, `event ${eventId} is about order ${result.record.outTradeNo}, not ${outTradeNo}`);
      const text = formatReplay(result, actions.keySource);
      if (!confirmed) {
        if (result.kind === 'unreadable') throw new Problem(409, text);
        return ask(`Replay ${eventId} through today's code and write what it decides?`, { eventId }, text);
      }
      return done(`Replayed ${eventId}`, text);
    }
  }
}

const pick = (fields: Record<string, string>, names: string[]): Record<string, string> =>
  Object.fromEntries(names.filter((n) => fields[n] !== undefined).map((n) => [n, fields[n]!]));


const PAYMENT_STATUS: Partial<Record<PaymentErrorCode, number>> = { ORDER_NOT_FOUND: 404, ALIPAY_REFUSED: 502 };

function problemOf(err: unknown, explain?: (err: unknown) => string): [number, string] {
  if (err instanceof Problem) return [err.status, err.message];
  if (err instanceof PaymentError) return [PAYMENT_STATUS[err.code] ?? 409, `${err.code}: ${err.message}`];
  if (err instanceof AlipayError) return [400, err.message];
  if (err instanceof InvalidCursorError) return [400, err.message];
  return [500, `could not do it: ${explain ? explain(err) : err instanceof Error ? err.message : String(err)}`];
}
