// The demo shop of the local stack: a product page, a checkout that calls POST /payments from the server side
// (the bearer token never reaches the browser), and the page the buyer lands on after Alipay, which shows the
// order's status from GET /payments/{outTradeNo}. It is what a merchant's own storefront would do, kept tiny.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { renderAutoSubmitForm, escapeHtml } from '../../shared/alipay/request.ts';
import type { RawHttpRequest } from './http-adapter.ts';

export interface StorefrontOptions {
  /** Base URL of the payments API (POST /payments, GET /payments/{outTradeNo}). */
  apiUrl: string;
  /** The storefront's bearer token; used only here, on the server. */
  token: string;
  /** Links shown on the pages (the sandbox's log, say). */
  links?: { label: string; href: string }[];
}

interface Product {
  id: string;
  name: string;
  /** Yuan string; undefined: the donor chooses on Alipay's page. */
  price?: string;
  services: readonly ServiceChoice[];
}

type ServiceChoice = 'create_direct_pay_by_user' | 'create_partner_trade_by_buyer' | 'trade_create_by_buyer' | 'create_digital_goods_trade_p' | 'create_donate_trade_p';

const SERVICE_LABELS: Record<ServiceChoice, string> = {
  create_direct_pay_by_user: '即时到账 Instant payment',
  create_partner_trade_by_buyer: '担保交易 Escrow',
  trade_create_by_buyer: '标准双接口 Escrow (dual)',
  create_digital_goods_trade_p: '虚拟物品 Virtual goods',
  create_donate_trade_p: '捐赠 Donation',
};

const ALL_SERVICES = Object.keys(SERVICE_LABELS) as ServiceChoice[];

export const PRODUCTS: readonly Product[] = [
  { id: 'tea', name: '西湖龙井茶 Longjing green tea, 250 g', price: '68.00', services: ALL_SERVICES },
  { id: 'ebook', name: '电子书《支付宝接口指南》 E-book: the Alipay gateway guide', price: '9.90', services: ALL_SERVICES },
  { id: 'donation', name: '捐赠 Support the project (you choose the amount)', services: ['create_donate_trade_p'] },
];

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
fieldset{border:1px solid #ddd;border-radius:6px;margin:1rem 0}label{display:block;margin:.3rem 0}
button{font-size:1rem;padding:.5rem 1.5rem;background:#1677ff;color:#fff;border:0;border-radius:4px;cursor:pointer}
.paid{color:#1a7f37}.failed{color:#b42318}.waiting{color:#9a6700}th{text-align:left;padding-right:1rem;color:#555}
footer{margin-top:2rem;font-size:.85rem;color:#666}`;

function page(title: string, body: string, opts: { refreshSeconds?: number; links?: StorefrontOptions['links'] } = {}): string {
  const refresh = opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : '';
  const footer = (opts.links ?? []).map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}<footer><a href="/">Demo shop 演示商店</a>${footer ? ` · ${footer}` : ''}</footer></body></html>`;
}

function productPage(links: StorefrontOptions['links']): string {
  const products = PRODUCTS.map((p, i) => `<label><input type="radio" name="product" value="${p.id}"${i === 0 ? ' checked' : ''}> ${escapeHtml(p.name)} — ${p.price ? `¥${p.price}` : '金额自选 any amount'}</label>`).join('\n');
  const services = (Object.keys(SERVICE_LABELS) as ServiceChoice[]).map((s, i) => `<option value="${s}"${i === 0 ? ' selected' : ''}>${escapeHtml(SERVICE_LABELS[s])} (${s})</option>`).join('');
  return page('Demo shop · 演示商店', `<h1>演示商店 Demo shop</h1>
<p>Pay with the local Alipay sandbox: no real money, no Alipay account. 使用本地支付宝沙箱付款，不涉及真实资金。</p>
<form method="post" action="/shop/checkout" id="checkout">
<fieldset><legend>商品 Product</legend>${products}</fieldset>
<fieldset><legend>支付方式 Alipay service</legend><select name="service" id="service">${services}</select>
<p><small>The donation has no price: choose 捐赠 Donation for it, and enter the amount on Alipay's page.</small></p></fieldset>
<fieldset><legend>字符集 Charset</legend>
<label><input type="radio" name="charset" value="utf-8" checked> UTF-8</label>
<label><input type="radio" name="charset" value="gbk"> GBK</label></fieldset>
<button type="submit" id="buy">购买 Buy with Alipay</button>
</form>`, { links });
}

/** A new merchant order number: demo-<time>-<random>, within Alipay's 64 characters. */
function newOutTradeNo(): string {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  return `demo-${stamp}-${randomBytes(4).toString('hex')}`;
}

/** The POST /payments body for a product bought through a service. */
export function paymentRequest(product: Product, service: ServiceChoice, charset: string, outTradeNo: string): Record<string, unknown> {
  const common = { service, outTradeNo, subject: product.name.split(' ')[0], body: product.name, charset };
  if (service === 'create_partner_trade_by_buyer' || service === 'trade_create_by_buyer') {
    return { ...common, price: product.price, quantity: '1', logistics: [{ type: 'EXPRESS', fee: '0.00', payment: 'SELLER_PAY' }] };
  }
  return product.price === undefined ? common : { ...common, totalFee: product.price };
}

async function callApi(opts: StorefrontOptions, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${opts.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${opts.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { error: { message: text.slice(0, 200) } };
  }
  return { status: response.status, json };
}

function errorPage(status: number, message: string, links: StorefrontOptions['links']): { status: number; html: string } {
  return { status, html: page('Checkout failed · 下单失败', `<h1 class="failed">下单失败 Checkout failed</h1><p id="error">${escapeHtml(message)}</p>`, { links }) };
}

async function checkout(opts: StorefrontOptions, form: URLSearchParams): Promise<{ status: number; html: string }> {
  const product = PRODUCTS.find((p) => p.id === form.get('product'));
  const service = form.get('service') as ServiceChoice | null;
  if (!product) return errorPage(400, 'Choose a product. 请选择商品。', opts.links);
  if (!service || !product.services.includes(service)) {
    return errorPage(400, `${product.name} cannot be bought with ${service ?? 'no service'}: choose one of ${product.services.join(', ')}.`, opts.links);
  }
  const answer = await callApi(opts, 'POST', '/payments', paymentRequest(product, service, form.get('charset') ?? 'utf-8', newOutTradeNo()));
  if (answer.status !== 201 && answer.status !== 200) {
    const e = answer.json?.error ?? {};
    return errorPage(502, `POST /payments answered ${answer.status}: ${e.code ?? ''} ${e.message ?? ''}`, opts.links);
  }
  return { status: 200, html: renderAutoSubmitForm(answer.json.form, '正在前往支付宝 Redirecting to Alipay…') };
}

const RESULT_TEXT = {
  paid: '支付成功 Payment received',
  refunded: '已退款 Refunded',
  waiting: '等待支付确认 Waiting for Alipay’s confirmation',
  failed: '交易已关闭 Payment not completed',
} as const;

function resultOf(order: { status: string; refundedFee?: string; refundStatus?: string }): keyof typeof RESULT_TEXT {
  // Money went back (in part or in full, which also closes the trade): that is what the buyer needs to read.
  if ((order.refundedFee !== undefined && order.refundedFee !== '0.00') || order.refundStatus === 'REFUND_SUCCESS') return 'refunded';
  if (['TRADE_SUCCESS', 'TRADE_FINISHED', 'WAIT_SELLER_SEND_GOODS', 'WAIT_BUYER_CONFIRM_GOODS'].includes(order.status)) return 'paid';
  if (order.status === 'TRADE_CLOSED') return 'failed';
  return 'waiting';
}

/** The page RETURN_RESULT_URL points at. The `result` parameter is not trusted: the status comes from the API. */
async function orderPage(opts: StorefrontOptions, outTradeNo: string | null): Promise<{ status: number; html: string }> {
  if (!outTradeNo) return errorPage(400, 'No order number in the link. 链接中没有订单号。', opts.links);
  const answer = await callApi(opts, 'GET', `/payments/${encodeURIComponent(outTradeNo)}`);
  if (answer.status !== 200) return errorPage(answer.status === 404 ? 404 : 502, `GET /payments/${outTradeNo} answered ${answer.status}: ${answer.json?.error?.message ?? ''}`, opts.links);
  const order = answer.json as { outTradeNo: string; service: string; status: string; totalFee: string | null; tradeNo?: string; refundStatus?: string; refundedFee?: string };
  const result = resultOf(order);
  const rows = [
    ['订单号 Order', order.outTradeNo],
    ['支付方式 Service', order.service],
    ['金额 Amount', order.totalFee === null ? '—' : `¥${order.totalFee}`],
    ['状态 Status', order.status],
    ['支付宝交易号 Alipay trade', order.tradeNo ?? '—'],
    ...(order.refundedFee && order.refundedFee !== '0.00' ? [['已退款 Refunded', `¥${order.refundedFee}`]] : []),
    ...(order.refundStatus ? [['退款 Refund', order.refundStatus]] : []),
  ].map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join('');
  const final = ['TRADE_FINISHED', 'TRADE_CLOSED'].includes(order.status);
  return {
    status: 200,
    html: page(RESULT_TEXT[result], `<h1 class="${result}" id="result" data-result="${result}" data-status="${escapeHtml(order.status)}">${RESULT_TEXT[result]}</h1>
<table id="order">${rows}</table>
<p>${final ? '' : 'This page refreshes by itself while Alipay’s notifications arrive. 本页会自动刷新。'}</p>`, { refreshSeconds: final ? undefined : 2, links: opts.links }),
  };
}

function send(res: http.ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length), 'cache-control': 'no-store' }).end(body);
}

/** Serves the shop's pages: `/`, `POST /shop/checkout`, `/shop/result?outTradeNo=…`, `/shop/orders/{outTradeNo}`. */
export function storefrontHandler(opts: StorefrontOptions): (req: RawHttpRequest, res: http.ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.target, 'http://localhost');
    try {
      if (req.method === 'GET' && url.pathname === '/') return send(res, 200, productPage(opts.links));
      if (req.method === 'POST' && url.pathname === '/shop/checkout') {
        const r = await checkout(opts, new URLSearchParams(req.body.toString('utf8')));
        return send(res, r.status, r.html);
      }
      if (req.method === 'GET' && url.pathname === '/shop/result') {
        const r = await orderPage(opts, url.searchParams.get('outTradeNo'));
        return send(res, r.status, r.html);
      }
      const m = /^\/shop\/orders\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && m) {
        const r = await orderPage(opts, decodeURIComponent(m[1]!));
        return send(res, r.status, r.html);
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
    } catch (err) {
      const r = errorPage(502, `The payments API could not be reached: ${(err as Error).message}`, opts.links);
      send(res, r.status, r.html);
    }
  };
}
