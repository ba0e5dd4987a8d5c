// The demo shop's webhook receiver: what a storefront does with the order events pushed to it. It checks the
// API-key header (constant time), keeps each event id once, and fulfils an order on its first `Order Paid`, never
// twice. `GET /shop/fulfilment/{outTradeNo}` shows the order's fulfilment and the events received.
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { escapeHtml } from '../../shared/alipay/request.ts';
import { WEBHOOK_KEY_HEADER } from './api-destination.ts';
import type { RawHttpRequest } from './http-adapter.ts';

interface Received {
  eventId: string;
  type: string;
  version: number;
  status: string;
  at: string;
}

export interface ShopWebhook {
  /** Handles `POST /shop/webhook` and `GET /shop/fulfilment/{outTradeNo}`; false for any other request. */
  handle(req: RawHttpRequest, res: http.ServerResponse): boolean;
  fulfilments(outTradeNo: string): number;
}

export function shopWebhook(apiKey: string): ShopWebhook {
  const seen = new Set<string>();
  const events = new Map<string, Received[]>();
  const fulfilled = new Map<string, { at: string; eventId: string; count: number }>();
  const keyOk = (given: string | undefined): boolean => {
    const a = Buffer.from(given ?? '');
    const b = Buffer.from(apiKey);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const header = (req: RawHttpRequest, name: string) => req.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];

  const receive = (req: RawHttpRequest, res: http.ServerResponse): void => {
    if (!keyOk(header(req, WEBHOOK_KEY_HEADER))) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`missing or wrong ${WEBHOOK_KEY_HEADER}`);
      return;
    }
    let envelope: { 'detail-type'?: string; detail?: { eventId?: string; outTradeNo?: string; version?: number; status?: string; occurredAt?: string } };
    try {
      envelope = JSON.parse(req.body.toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('not JSON');
      return;
    }
    const d = envelope.detail ?? {};
    if (!d.eventId || !d.outTradeNo || !envelope['detail-type']) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('not an order event');
      return;
    }
    // Deduplicate on the event id: EventBridge (and our retries) may deliver an event more than once.
    if (!seen.has(d.eventId)) {
      seen.add(d.eventId);
      const list = events.get(d.outTradeNo) ?? [];
      list.push({ eventId: d.eventId, type: envelope['detail-type'], version: d.version ?? 0, status: d.status ?? '', at: new Date().toISOString() });
      events.set(d.outTradeNo, list);
      if (envelope['detail-type'] === 'Order Paid') {
        const f = fulfilled.get(d.outTradeNo);
        if (f) f.count++; // would be a second fulfilment: shown, so a test can see it never happens
        else fulfilled.set(d.outTradeNo, { at: new Date().toISOString(), eventId: d.eventId, count: 1 });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
  };

  const show = (outTradeNo: string, res: http.ServerResponse): void => {
    const f = fulfilled.get(outTradeNo);
    const rows = (events.get(outTradeNo) ?? []).map((e) => `<tr><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.status)}</td><td>${e.version}</td><td><code>${escapeHtml(e.eventId)}</code></td><td>${escapeHtml(e.at)}</td></tr>`).join('');
    const state = f ? `<p id="fulfilment" data-fulfilment="fulfilled" data-count="${f.count}" class="paid">已发货 fulfilled (on ${escapeHtml(f.eventId)})</p>`
      : '<p id="fulfilment" data-fulfilment="waiting" class="waiting">等待付款事件 waiting for Order Paid</p>';
    const refresh = f ? '' : '<meta http-equiv="refresh" content="1">';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><meta charset="utf-8">${refresh}<title>Fulfilment ${escapeHtml(outTradeNo)}</title></head>
<body><h1>订单 ${escapeHtml(outTradeNo)}</h1>${state}<h2>Events received 收到的事件</h2><table id="events"><tr><th>type</th><th>status</th><th>version</th><th>event id</th><th>received</th></tr>${rows}</table><p><a href="/shop/orders/${encodeURIComponent(outTradeNo)}">the order 订单</a></p></body></html>`);
  };

  return {
    handle(req, res) {
      const url = new URL(req.target, 'http://localhost');
      if (req.method === 'POST' && url.pathname === '/shop/webhook') {
        receive(req, res);
        return true;
      }
      const m = /^\/shop\/fulfilment\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        show(decodeURIComponent(m[1]!), res);
        return true;
      }
      return false;
    },
    fulfilments: (outTradeNo) => fulfilled.get(outTradeNo)?.count ?? 0,
  };
}
