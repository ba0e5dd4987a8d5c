// GET /sandbox: the log (newest first), the delivery knobs and the release button. `?order=<out_trade_no or trade_no>`
// shows one order's entries; the log's own page views are hidden unless `?views=1`; the page reloads itself every
// few seconds unless `?refresh=0` (paused), and not while you are editing a knob.
import { escapeMarkup } from './markup.ts';
import type { DeliveryKnobs, SandboxLogEntry } from './index.ts';
import { layout } from './pages.ts';

const SHOWN_ENTRIES = 500;
export const REFRESH_SECONDS = 5;

const onOff = (on: boolean): string => `<option value="false"${on ? '' : ' selected'}>off</option><option value="true"${on ? ' selected' : ''}>on</option>`;

export interface ControlView {
  /** Only entries of this out_trade_no (or trade_no). */
  order?: string;
  /** Show the requests for this log page itself (and log.json, trades.json…). */
  views?: boolean;
  /** Reload every REFRESH_SECONDS; false: paused. */
  refresh?: boolean;
  /** The merchant's result page of an order, when the sandbox knows one (the local stack's /shop/result). */
  resultPageUrl?: (outTradeNo: string) => string;
}

/** A request for the log's own pages (GET /sandbox…, /favicon.ico): noise while you watch an order. */
export const isOwnPageView = (x: SandboxLogEntry): boolean =>
  x.kind === 'request' && /^GET (\/sandbox(\/|\?|$)|\/(\?|$)|\/favicon\.ico)/.test(x.detail);

/** The page's own URL with some query parameters changed. */
function linkTo(view: ControlView, change: Partial<Record<'order' | 'views' | 'refresh', string | undefined>>): string {
  const q = new URLSearchParams();
  const current = { order: view.order, views: view.views ? '1' : undefined, refresh: view.refresh === false ? '0' : undefined };
  for (const [k, v] of Object.entries({ ...current, ...change })) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return `/sandbox${s ? `?${s}` : ''}`;
}

export function controlPage(entries: readonly SandboxLogEntry[], knobs: DeliveryKnobs, held: number, view: ControlView = {}): string {
  const e = escapeMarkup;
  const refresh = view.refresh !== false;
  const ofOrder = view.order ? entries.filter((x) => x.outTradeNo === view.order || x.tradeNo === view.order) : entries;
  const hiddenViews = view.views ? 0 : ofOrder.filter(isOwnPageView).length;
  const shown = view.views ? ofOrder : ofOrder.filter((x) => !isOwnPageView(x));
  const orderCell = (x: SandboxLogEntry): string => {
    const links: string[] = [];
    if (x.outTradeNo) links.push(`<a class="order-filter" href="${e(linkTo(view, { order: x.outTradeNo }))}">${e(x.outTradeNo)}</a>`);
    if (x.tradeNo) links.push(`${e(x.tradeNo)} <a class="cashier-link" href="/cashier/${encodeURIComponent(x.tradeNo)}">cashier 收银台</a>`);
    if (x.outTradeNo && view.resultPageUrl) links.push(`<a class="result-link" href="${e(view.resultPageUrl(x.outTradeNo))}">result page 结果页</a>`);
    return links.join('<br>');
  };
  const rows = shown
    .slice(-SHOWN_ENTRIES)
    .reverse()
    .map((x) => `<tr data-seq="${x.seq}" data-kind="${e(x.kind)}"${x.outTradeNo ? ` data-out-trade-no="${e(x.outTradeNo)}"` : ''}><td>${x.seq}</td><td>${e(x.time)}</td><td>${e(x.kind)}</td><td>${orderCell(x)}</td><td>${e(x.notifyId ?? '')}</td><td>${e(x.detail)}</td></tr>`)
    .join('\n');
  const filter = view.order
    ? `<p id="order-filter">Showing order <strong>${e(view.order)}</strong> only · <a id="all-orders" href="${e(linkTo(view, { order: undefined }))}">all orders</a></p>`
    : '';
  return layout(
    'Alipay sandbox log',
    `<main id="sandbox-control" data-refresh="${refresh ? REFRESH_SECONDS : 0}">
<h1>沙箱日志 Sandbox log</h1>
<form id="order-search" method="get" action="/sandbox"><label>Order (out_trade_no or trade_no) <input id="order" name="order" value="${e(view.order ?? '')}"></label>
${view.views ? '<input type="hidden" name="views" value="1">' : ''}${refresh ? '' : '<input type="hidden" name="refresh" value="0">'}<button type="submit">Filter</button></form>
${filter}
<p id="view-options">${refresh
    ? `Refreshes every ${REFRESH_SECONDS} s · <a id="pause" href="${e(linkTo(view, { refresh: '0' }))}">pause</a>`
    : `Auto-refresh paused · <a id="resume" href="${e(linkTo(view, { refresh: undefined }))}">resume</a>`}
 · ${view.views
    ? `<a id="hide-views" href="${e(linkTo(view, { views: undefined }))}">hide this log's own page views</a>`
    : `<span id="hidden-views" data-count="${hiddenViews}">${hiddenViews} views of this log hidden</span> · <a id="show-views" href="${e(linkTo(view, { views: '1' }))}">show them</a>`}</p>
<form id="knobs" method="post" action="/sandbox/knobs">
<label>duplicate <input id="knob-duplicate" name="duplicate" type="number" min="0" max="20" value="${knobs.duplicate}"></label>
<label>delayMs <input id="knob-delay" name="delayMs" type="number" min="0" value="${knobs.delayMs}"></label>
<label>hold <select id="knob-hold" name="hold">${onOff(knobs.hold)}</select></label>
<label>drop <select id="knob-drop" name="drop">${onOff(knobs.drop)}</select></label>
<button type="submit" id="set-knobs">Set knobs</button>
</form>
<form id="release" method="post" action="/sandbox/release">
<select name="order" id="release-order"><option value="fifo">fifo</option><option value="reverse">reverse</option></select>
<button type="submit" id="release-held" data-held="${held}">Release ${held} held</button>
</form>
<details id="knob-help" open><summary>What the knobs do</summary><dl>
<dt>duplicate</dt><dd>Sends this many extra identical copies of every notification, alongside each send (0–20): your notify handler must process a message once however often it arrives.</dd>
<dt>delayMs</dt><dd>Waits this many milliseconds before the first send of each new notification, so the buyer's return (or a query) can come first.</dd>
<dt>hold</dt><dd>Keeps each new notification queued, unsent, until you press Release: to deliver several at a moment you choose.</dd>
<dt>Release fifo / reverse</dt><dd>Sends the held notifications, oldest first (fifo) or newest first (reverse: reorders them, so a later status arrives before an earlier one).</dd>
<dt>drop</dt><dd>Loses every new notification for good (logged as notify_dropped): only reconciliation (single_trade_query) can then find the payment. Wins over hold and delayMs.</dd>
<dt>Retries</dt><dd>A notification not answered "success" is sent again on Alipay's schedule (2m, 10m, 10m, 1h, 2h, 6h, 15h), sped up (SANDBOX_RETRY_SPEEDUP).</dd>
</dl></details>
<p><a href="/sandbox/log.json">log.json</a> · <a href="/sandbox/trades.json">trades.json</a></p>
<table id="log"><thead><tr><th>#</th><th>time</th><th>kind</th><th>out_trade_no / trade_no</th><th>notify_id</th><th>detail</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</main>
${refresh ? `<script>
// Counted from the end of loading, so a slow machine still gets REFRESH_SECONDS to read (and click) the page.
function tick() {
  setTimeout(function () {
    var a = document.activeElement;
    if (a && a.closest && a.closest('form')) return tick(); // not while a knob is being edited
    location.reload();
  }, ${REFRESH_SECONDS * 1000});
}
if (document.readyState === 'complete') tick(); else window.addEventListener('load', tick);
</script>` : ''}`,
    ' class="wide"',
  );
}
