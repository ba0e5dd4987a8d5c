// The console's pages: server-rendered HTML, every value escaped, readable at a phone's width, UTF-8 (Chinese
// subjects and GBK messages decoded). Pure: what a page shows comes in as arguments.
import { formatYuan } from '../../shared/alipay/amount.ts';
import { escapeHtml as esc } from '../../shared/alipay/request.ts';
import { SERVICE_NAMES } from '../../shared/alipay/services.ts';
import type { Order } from '../../shared/orders/order.ts';
import { refundableFen, refundedFen } from '../../shared/orders/refunds.ts';
import { isAwaitingPayment, type OrderStatus, TRADE_STATUSES } from '../../shared/orders/trade-status.ts';
import type { EventRecord, OrderSummary } from '../../shared/payments/store-port.ts';
import { decodeMessage } from '../cli/record-text.ts';
import type { ActionName } from './actions.ts';

export const ORDER_STATUSES: readonly OrderStatus[] = ['CREATED', ...TRADE_STATUSES];
export const BASE = '/console';

const yuan = (fen: number | undefined): string => (fen === undefined ? '—' : formatYuan(fen));
export const orderHref = (outTradeNo: string): string => `${BASE}/orders/${encodeURIComponent(outTradeNo)}`;

const STYLE = `*{box-sizing:border-box}body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0 auto;max-width:72rem;padding:.75rem;color:#222;line-height:1.4}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;border-bottom:1px solid #ddd;margin-bottom:.75rem}header h1{font-size:1.2rem;margin:.3rem 0}
.where{color:#555;font-size:.85rem;overflow-wrap:anywhere}.mode{font-size:.8rem;padding:.1rem .4rem;border-radius:3px;background:#eef}.mode.ro{background:#fee}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.9rem}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
td{overflow-wrap:anywhere}th{color:#555;white-space:nowrap}form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}form.filters label{display:flex;flex-direction:column;font-size:.8rem}
input,select,button{font-size:1rem;max-width:100%}button{padding:.35rem .9rem;border-radius:4px;border:1px solid #1677ff;background:#1677ff;color:#fff;cursor:pointer}button.danger{background:#b42318;border-color:#b42318}
a.button{display:inline-block;padding:.35rem .9rem;border:1px solid #999;border-radius:4px;text-decoration:none;color:#222}
.note{background:#fff8e1;border:1px solid #f0d98a;padding:.4rem .6rem;border-radius:4px;font-size:.85rem}.error{background:#fdecea;border:1px solid #f5b5ae;padding:.6rem;border-radius:4px}
.ok{background:#e8f5e9;border:1px solid #a5d6a7;padding:.6rem;border-radius:4px}dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.5rem 0}dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
.timeline{list-style:none;padding:0;margin:0}.timeline>li{border-left:3px solid #ccc;padding:.3rem .6rem;margin:.4rem 0}.timeline>li[data-kind=message]{border-color:#1677ff}
.timeline>li[data-kind=history]{border-color:#1a7f37}.timeline>li[data-kind=anomaly]{border-color:#b42318;background:#fff5f5}.timeline>li[data-kind=refund]{border-color:#9a6700}
.t{color:#666;font-size:.8rem;margin-right:.4rem}.tag{font-size:.75rem;padding:0 .3rem;border-radius:3px;background:#eee;margin-right:.3rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem;background:#f6f8fa;padding:.5rem;margin:.3rem 0}
.actions form{margin:.5rem 0;padding:.5rem;border:1px solid #ddd;border-radius:4px}.actions label{display:block;margin:.2rem 0;font-size:.9rem}nav.links a{margin-right:.8rem}
@media (max-width:480px){body{padding:.5rem}th,td{padding:.2rem .3rem}table{font-size:.8rem}}`;

export interface Frame {
  /** Where the console reads, in words (tables and endpoint or stage). */
  where: string;
  /** Actions allowed (false: read-only). */
  actions: boolean;
}

export function layout(frame: Frame, title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1><a href="${BASE}">Orders console 订单控制台</a></h1>
<span class="mode${frame.actions ? '' : ' ro'}" id="mode" data-actions="${frame.actions}">${frame.actions ? 'actions allowed' : 'read-only 只读'}</span>
<span class="where" id="where">${esc(frame.where)}</span></header>
${body}</body></html>`;
}

// ---- the listing -----------------------------------------------------------------------------------------------------

export interface ListFilters {
  status?: OrderStatus;
  anomalies: boolean;
  service?: string;
  /** yyyy-mm-dd (UTC), as the date input sends it. */
  since?: string;
  limit: number;
}

export function filterQuery(f: ListFilters, cursor?: string): string {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  if (f.anomalies) q.set('anomalies', '1');
  if (f.service) q.set('service', f.service);
  if (f.since) q.set('since', f.since);
  if (f.limit !== 50) q.set('limit', String(f.limit));
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function listPage(frame: Frame, f: ListFilters, orders: OrderSummary[], read: number, next: string | undefined): string {
  const option = (value: string, label: string, chosen: string | undefined) => `<option value="${esc(value)}"${value === (chosen ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const form = `<form class="filters" method="get" action="${BASE}" id="filters">
<label>Status<select name="status" id="f-status">${option('', 'any', f.status)}${ORDER_STATUSES.map((s) => option(s, s, f.status)).join('')}</select></label>
<label>Service<select name="service" id="f-service">${option('', 'any', f.service)}${SERVICE_NAMES.map((s) => option(s, s, f.service)).join('')}</select></label>
<label>Created since (UTC)<input type="date" name="since" id="f-since" value="${esc(f.since ?? '')}"></label>
<label>Anomalies<span><input type="checkbox" name="anomalies" value="1" id="f-anomalies"${f.anomalies ? ' checked' : ''}> only with anomalies</span></label>
<label>Per page<input type="number" name="limit" min="1" max="200" value="${f.limit}" id="f-limit" style="width:5rem"></label>
<button type="submit" id="f-apply">Filter</button> <a class="button" href="${BASE}">Clear</a></form>`;
  const notes = [
    'Newest first, from the Orders table\'s indexes (by status, with anomalies; the date bounds the index key): never a scan.',
    ...(f.service ? [`Service is not indexed: this page read ${read} order${read === 1 ? '' : 's'} from the indexes and kept those of ${f.service} in memory, so it may show fewer than ${f.limit} while later pages hold more.`] : []),
  ];
  const rows = orders.map((o) => `<tr data-out-trade-no="${esc(o.outTradeNo)}" data-status="${esc(o.status)}">
<td>${esc(o.createdAt)}</td><td><a href="${esc(orderHref(o.outTradeNo))}">${esc(o.outTradeNo)}</a></td><td>${esc(o.status)}</td>
<td>${yuan(o.amountFen)}</td><td>${yuan(o.paidFen)}</td><td>${esc(o.service)}</td><td>${o.hasAnomalies ? '<span class="tag" data-anomalies="yes">anomalies</span>' : ''}</td></tr>`).join('\n');
  const table = orders.length
    ? `<div class="scroll"><table id="orders"><thead><tr><th>Created (UTC)</th><th>out_trade_no</th><th>Status</th><th>Amount ¥</th><th>Paid ¥</th><th>Service</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`
    : '<p id="no-orders">No orders match.</p>';
  const more = next ? `<p><a class="button" id="next-page" href="${esc(BASE + filterQuery(f, next))}">Next page →</a></p>` : '';
  return layout(frame, 'Orders · 订单', `${form}${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}${table}${more}`);
}

// ---- one order -------------------------------------------------------------------------------------------------------

/** Local only: where the order's sandbox pages are, and what the sandbox logged about it. */
export interface OrderLinks {
  cashierUrl?: string;
  resultUrl?: string;
  sandboxLog?: { url: string; entries: readonly { time: string; kind: string; detail: string; notifyId?: string }[] };
}

export interface OrderPageInput {
  order: Order;
  records: EventRecord[];
  /** More records exist than were read. */
  recordsCut: boolean;
  links: OrderLinks;
  csrf: string;
}

interface TimelineItem {
  at: string;
  kind: 'message' | 'history' | 'anomaly' | 'refund';
  html: string;
}

/** The actions that make sense for the order now (the use case still has the last word). */
export function availableActions(order: Order): ActionName[] {
  const out: ActionName[] = [];
  if (isAwaitingPayment(order.status)) out.push('close', 'reconcile');
  if (order.status === 'WAIT_SELLER_SEND_GOODS' && !order.shipment) out.push('ship');
  if (order.paidFen !== undefined && refundableFen(order) > 0) out.push('refund');
  return out;
}

const REPLAYABLE = new Set(['notify', 'return', 'query']);

export function orderPage(frame: Frame, input: OrderPageInput): string {
  const { order, records, links } = input;
  const o = order;
  const summary = `<dl id="summary">
<dt>out_trade_no</dt><dd id="out-trade-no">${esc(o.outTradeNo)}</dd>
<dt>Status</dt><dd id="status" data-status="${esc(o.status)}">${esc(o.status)}${o.refund ? ` <span class="tag" id="refund-status">refund ${esc(o.refund.status)}</span>` : ''}</dd>
<dt>Service</dt><dd>${esc(o.service)} (${esc(o.kind)}), ${esc(o.charset)}</dd>
<dt>Subject</dt><dd id="subject">${esc(o.subject)}</dd>
<dt>Amount</dt><dd>${o.amountFen === undefined ? 'chosen by the donor' : `¥${yuan(o.amountFen)}`}</dd>
<dt>Paid</dt><dd id="paid">${o.paidFen === undefined ? '—' : `¥${yuan(o.paidFen)}`}</dd>
${o.paidFen !== undefined ? `<dt>Refunded</dt><dd id="refunded">¥${yuan(refundedFen(o))}, refundable ¥${yuan(refundableFen(o))}</dd>` : ''}
<dt>trade_no</dt><dd id="trade-no">${esc(o.tradeNo ?? '—')}</dd>
<dt>Partner</dt><dd>${esc(o.partner)}${o.sellerId && o.sellerId !== o.partner ? `, seller ${esc(o.sellerId)}` : ''}</dd>
${o.shipment ? `<dt>Shipment</dt><dd id="shipment">${esc(`${o.shipment.logisticsName} ${o.shipment.invoiceNo} (${o.shipment.transportType}) at ${o.shipment.at}`)}</dd>` : ''}
<dt>Created</dt><dd>${esc(o.createdAt)}</dd><dt>Updated</dt><dd>${esc(o.updatedAt)} (version ${o.version})</dd></dl>`;

  const linkList = [
    links.cashierUrl && `<a id="link-cashier" href="${esc(links.cashierUrl)}">Sandbox cashier 收银台</a>`,
    links.resultUrl && `<a id="link-result" href="${esc(links.resultUrl)}">Result page 结果页</a>`,
    links.sandboxLog && `<a id="link-sandbox-log" href="${esc(links.sandboxLog.url)}">Sandbox log 沙箱日志</a>`,
  ].filter(Boolean);
  const nav = linkList.length ? `<nav class="links">${linkList.join('')}</nav>` : '';

  const items: TimelineItem[] = [];
  for (const r of records) items.push({ at: r.receivedAt, kind: 'message', html: messageHtml(r, frame.actions, input.csrf) });
  for (const h of o.history) {
    items.push({ at: h.at, kind: 'history', html: `<span class="tag">history</span> ${esc(h.source)} → <b>${esc(h.status)}</b>${h.refundStatus ? ` ${esc(h.refundStatus)}` : ''} <span class="t">event ${esc(h.eventId)}</span>` });
  }
  for (const a of o.anomalies) {
    items.push({ at: a.at, kind: 'anomaly', html: `<span class="tag">anomaly</span> <b data-code="${esc(a.code)}">${esc(a.code)}</b>: ${esc(a.detail)}${a.eventId ? ` <span class="t">event ${esc(a.eventId)}</span>` : ''}` });
  }
  for (const e of o.refunds ?? []) {
    items.push({ at: e.requestedAt, kind: 'refund', html: `<span class="tag">refund requested</span> batch ${esc(e.batchNo)}: ¥${yuan(e.amountFen)} (${esc(e.mode)}) — ${esc(e.reason)}` });
    if (e.status !== 'PENDING') items.push({ at: e.updatedAt, kind: 'refund', html: `<span class="tag">refund ${esc(e.status)}</span> batch ${esc(e.batchNo)}${e.result ? `: ${esc(e.result)}` : ''}` });
  }
  // Oldest first; at the same moment the message comes before what it caused.
  const rank = { message: 0, refund: 1, history: 2, anomaly: 3 } as const;
  items.sort((a, b) => a.at.localeCompare(b.at) || rank[a.kind] - rank[b.kind]);
  const timeline = `<h2>Timeline 时间线</h2>
<p class="note">Oldest first: each message received (decoded in its charset) with its outcome, the history it made, anomalies and refunds. The order keeps its last 20 history entries; the Notifications table keeps every message (until its TTL).${input.recordsCut ? ' Only the first messages are shown: use `npm run alipay -- notifications` for all.' : ''}</p>
<ol class="timeline" id="timeline">${items.map((i) => `<li data-kind="${i.kind}"><span class="t">${esc(i.at)}</span>${i.html}</li>`).join('\n')}</ol>`;

  const ledger = o.refunds?.length
    ? `<h2>Refund ledger 退款记录</h2><div class="scroll"><table id="refund-ledger"><thead><tr><th>batch_no</th><th>Amount ¥</th><th>Status</th><th>Mode</th><th>Requested</th><th>Request id</th><th>Reason</th></tr></thead><tbody>${o.refunds.map((r) => `<tr data-batch-no="${esc(r.batchNo)}" data-status="${esc(r.status)}"><td>${esc(r.batchNo)}</td><td>${yuan(r.amountFen)}</td><td>${esc(r.status)}${r.result ? ` (${esc(r.result)})` : ''}</td><td>${esc(r.mode)}</td><td>${esc(r.requestedAt)}</td><td>${esc(r.requestId)}</td><td>${esc(r.reason)}</td></tr>`).join('')}</tbody></table></div>`
    : '';
  const anomalies = `<h2>Anomalies 异常 (${o.anomalies.length})</h2>${o.anomalies.length ? `<ul id="anomalies">${o.anomalies.map((a) => `<li data-code="${esc(a.code)}"><b>${esc(a.code)}</b> ${esc(a.at)}: ${esc(a.detail)}</li>`).join('')}</ul>` : '<p id="anomalies">none</p>'}`;

  const sandboxLog = links.sandboxLog
    ? `<h2>Sandbox log 沙箱日志 (${links.sandboxLog.entries.length})</h2>${links.sandboxLog.entries.length ? `<div class="scroll"><table id="sandbox-log"><tbody>${links.sandboxLog.entries.map((e) => `<tr><td>${esc(e.time)}</td><td>${esc(e.kind)}</td><td>${esc(e.detail)}</td></tr>`).join('')}</tbody></table></div>` : '<p>nothing logged for this order</p>'}`
    : '';

  return layout(frame, `Order ${o.outTradeNo}`, `<p><a href="${BASE}">← all orders</a></p><h2>Order ${esc(o.outTradeNo)}</h2>${summary}${nav}${actionsHtml(frame, o, input.csrf)}${timeline}${ledger}${anomalies}${sandboxLog}`);
}

function messageHtml(r: EventRecord, actions: boolean, csrf: string): string {
  const m = decodeMessage(r);
  const body = m.fields
    ? `<div class="scroll"><table class="fields">${m.fields.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>`
    : `<pre>${esc(m.text ?? '')}</pre>`;
  const replay = actions && REPLAYABLE.has(r.source)
    ? `<form method="post" action="${esc(`${orderHref(r.outTradeNo ?? '')}/replay`)}" class="replay"><input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="eventId" value="${esc(r.eventId)}"><button type="submit" data-action="replay">Replay…</button></form>`
    : '';
  return `<span class="tag">${esc(r.source)}</span> <b class="outcome" data-outcome="${esc(r.outcome)}">${esc(r.outcome)}</b>${r.tradeStatus ? ` ${esc(r.tradeStatus)}` : ''}${r.detail ? ` — ${esc(r.detail)}` : ''}
<details data-event-id="${esc(r.eventId)}"><summary>event ${esc(r.eventId)} · ${r.raw.length} bytes, ${esc(m.charset)}</summary>${body}</details>${replay}`;
}

function actionsHtml(frame: Frame, order: Order, csrf: string): string {
  if (!frame.actions) return '';
  const can = availableActions(order);
  const action = `${orderHref(order.outTradeNo)}`;
  const hidden = `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
  const forms: string[] = [];
  if (can.includes('reconcile')) forms.push(`<form method="post" action="${esc(`${action}/reconcile`)}">${hidden}<b>Reconcile now</b>: ask Alipay (single_trade_query) about this order; an unpaid one past its deadline is closed. <button type="submit" id="action-reconcile">Reconcile now…</button></form>`);
  if (can.includes('close')) forms.push(`<form method="post" action="${esc(`${action}/close`)}">${hidden}<b>Close</b>: close_trade, so it can no longer be paid. <button type="submit" class="danger" id="action-close">Close…</button></form>`);
  if (can.includes('ship')) {
    forms.push(`<form method="post" action="${esc(`${action}/ship`)}">${hidden}<b>Ship</b> (send_goods_confirm_by_platform)
<label>Logistics company <input name="logisticsName" required maxlength="64"></label><label>Waybill number <input name="invoiceNo" maxlength="64"></label>
<label>Transport <select name="transportType">${['EXPRESS', 'POST', 'EMS', 'DIRECT'].map((t) => `<option>${t}</option>`).join('')}</select></label>
<button type="submit" id="action-ship">Ship…</button></form>`);
  }
  if (can.includes('refund')) {
    forms.push(`<form method="post" action="${esc(`${action}/refund`)}">${hidden}<b>Refund</b> (up to ¥${yuan(refundableFen(order))})
<label>Amount ¥ <input name="amount" required inputmode="decimal" placeholder="${yuan(refundableFen(order))}"></label><label>Reason (shown to the buyer) <input name="reason" required maxlength="256"></label>
<label>Mode <select name="mode"><option value="">the stage's default</option><option value="pwd">pwd: the seller confirms on Alipay's page</option><option value="nopwd">nopwd: server to server</option></select></label>
<button type="submit" class="danger" id="action-refund">Refund…</button></form>`);
  }
  return `<section class="actions" id="actions"><h2>Actions 操作</h2>${forms.length ? forms.join('') : '<p>None for this order now (replay is on each message below).</p>'}<p class="note">Each asks for confirmation before anything is sent or written.</p></section>`;
}

// ---- confirmation and outcome ----------------------------------------------------------------------------------------

export function confirmPage(frame: Frame, input: { outTradeNo: string; action: ActionName; fields: Record<string, string>; question: string; preview?: string; csrf: string }): string {
  const hidden = Object.entries({ ...input.fields, csrf: input.csrf, confirmed: 'yes' })
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return layout(frame, `Confirm ${input.action}`, `<h2 id="confirm-question">${esc(input.question)}</h2>
${input.preview ? `<p>What would happen now (dry run, nothing written):</p><pre id="preview">${esc(input.preview)}</pre>` : ''}
<form method="post" action="${esc(`${orderHref(input.outTradeNo)}/${input.action}`)}" id="confirm-form">${hidden}
<button type="submit" class="danger" id="confirm">Yes, ${esc(input.action)} 确认</button> <a class="button" id="cancel" href="${esc(orderHref(input.outTradeNo))}">Cancel 取消</a></form>`);
}

export function donePage(frame: Frame, input: { outTradeNo: string; title: string; detail?: string; alipayForm?: { action: string; method: string; fields: Record<string, string> } }): string {
  const form = input.alipayForm
    ? `<form method="${esc(input.alipayForm.method)}" action="${esc(input.alipayForm.action)}" id="alipay-confirm">${Object.entries(input.alipayForm.fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('')}<p>The seller confirms this refund on Alipay's page:</p><button type="submit">Open Alipay's refund confirmation</button></form>`
    : '';
  return layout(frame, input.title, `<div class="ok" id="done"><b>${esc(input.title)}</b>${input.detail ? `<pre>${esc(input.detail)}</pre>` : ''}</div>${form}<p><a href="${esc(orderHref(input.outTradeNo))}" id="back">← order ${esc(input.outTradeNo)}</a></p>`);
}

export function problemPage(frame: Frame, status: number, message: string, back?: string): string {
  return layout(frame, `${status}`, `<div class="error" id="problem" data-status="${status}">${esc(message)}</div><p><a href="${esc(back ?? BASE)}">← back</a></p>`);
}
