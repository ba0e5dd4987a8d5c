// The demo shop of the local stack: a product page, a checkout that calls POST /payments from the server side
// (the bearer token never reaches the browser), and the page the buyer lands on after Alipay, which shows the
// order's status from GET /payments/{outTradeNo}. It is what a merchant's own storefront would do, kept tiny.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { renderAutoSubmitForm, escapeHtml } from '../../shared/alipay/request.ts';
import { RESULT_PAGE_STYLE } from '../../shared/http/return-page.ts';
import type { RawHttpRequest } from './http-adapter.ts';
import { DEFAULT_POLL, orderResult, stateOfApiOrder, unknownResult, unverifiedResult, type ApiOrder, type PollSchedule, type ResultBody } from './shop-result-page.ts';

export interface StorefrontOptions {
  /** Base URL of the payments API (POST /payments, GET /payments/{outTradeNo}). */
  apiUrl: string;
  /** The storefront's bearer token; used only here, on the server. */
  token: string;
  /** Links shown on the pages (the sandbox's log, say). */
  links?: { label: string; href: string }[];
  /** How the result page of an unpaid order checks again; DEFAULT_POLL (3 s backing off to 30 s, 16 checks) unless given. */
  poll?: PollSchedule;
  /** How the shop calls the API (default: global fetch). Tests pass one that checks each exchange against the API document. */
  fetch?: typeof fetch;
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

// A priced product cannot be a donation (the donor picks the amount), and a donation can be nothing else.
const PRICED_SERVICES = (Object.keys(SERVICE_LABELS) as ServiceChoice[]).filter((s) => s !== 'create_donate_trade_p');

export const PRODUCTS: readonly Product[] = [
  { id: 'tea', name: '西湖龙井茶 Longjing green tea, 250 g', price: '68.00', services: PRICED_SERVICES },
  { id: 'ebook', name: '电子书《支付宝接口指南》 E-book: the Alipay gateway guide', price: '9.90', services: PRICED_SERVICES },
  { id: 'donation', name: '捐赠 Support the project (you choose the amount)', services: ['create_donate_trade_p'] },
];

// Phone first: nothing may be wider than the screen (a fieldset's min-content and a long <option> would be).
const STYLE = `${RESULT_PAGE_STYLE}
fieldset{border:1px solid #ddd;border-radius:6px;margin:1rem 0;min-width:0}label{display:block;margin:.3rem 0}
select{font-size:1rem;width:100%;max-width:100%;padding:.3rem}
button{font-size:1rem;padding:.5rem 1.5rem;background:#1677ff;color:#fff;border:0;border-radius:4px;cursor:pointer}
.actions form{margin:0}.failed{color:#b42318}footer{margin-top:2rem;font-size:.85rem;color:#666}`;

function page(title: string, body: string, opts: { links?: StorefrontOptions['links'] } = {}): string {
  const footer = (opts.links ?? []).map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}<footer><a href="/">Demo shop 演示商店</a>${footer ? ` · ${footer}` : ''}</footer></body></html>`;
}

function productPage(links: StorefrontOptions['links']): string {
  const products = PRODUCTS.map((p, i) => `<label><input type="radio" name="product" value="${p.id}" data-services="${p.services.join(' ')}"${i === 0 ? ' checked' : ''}> ${escapeHtml(p.name)} — ${p.price ? `¥${p.price}` : '金额自选 any amount'}</label>`).join('\n');
  // Without script every service is listed and checkout names the ones the product allows; with it, only those show.
  const services = (Object.keys(SERVICE_LABELS) as ServiceChoice[]).map((s) => `<option value="${s}"${s === PRODUCTS[0]!.services[0] ? ' selected' : ''}>${escapeHtml(SERVICE_LABELS[s])} (${s})</option>`).join('');
  return page('Demo shop · 演示商店', `<h1>演示商店 Demo shop</h1>
<p>Pay with the local Alipay sandbox: no real money, no Alipay account. 使用本地支付宝沙箱付款，不涉及真实资金。</p>
<form method="post" action="/shop/checkout" id="checkout">
<fieldset><legend>商品 Product</legend>${products}</fieldset>
<fieldset><legend>支付方式 Alipay service</legend><select name="service" id="service">${services}</select>
<p><small>Only the services the product can be bought with are offered: the donation has no price and is paid with 捐赠 Donation, its amount entered on Alipay's page. 仅列出该商品可用的支付方式。</small></p></fieldset>
<fieldset><legend>字符集 Charset</legend>
<label><input type="radio" name="charset" value="utf-8" checked> UTF-8</label>
<label><input type="radio" name="charset" value="gbk"> GBK</label></fieldset>
<button type="submit" id="buy">购买 Buy with Alipay</button>
</form>
<script>
(() => {
  const select = document.getElementById('service');
  const offer = () => {
    const allowed = document.querySelector('input[name=product]:checked').dataset.services.split(' ');
    for (const option of select.options) option.hidden = option.disabled = !allowed.includes(option.value);
    if (!allowed.includes(select.value)) select.value = allowed[0];
  };
  for (const radio of document.querySelectorAll('input[name=product]')) radio.addEventListener('change', offer);
  offer();
})();
</script>`, { links });
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
  const response = await (opts.fetch ?? fetch)(`${opts.apiUrl}${path}`, {
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

function errorPage(status: number, message: string, links: StorefrontOptions['links'], title = '下单失败 Checkout failed'): { status: number; html: string } {
  return { status, html: page(title, `<h1 class="failed">${escapeHtml(title)}</h1><p id="error">${escapeHtml(message)}</p>`, { links }) };
}

/** The last checkouts' POST /payments bodies, so "continue to pay" can ask again: the same body gets the same form. */
class RecentCheckouts {
  readonly #bodies = new Map<string, Record<string, unknown>>();
  constructor(private readonly limit = 1000) {}
  remember(outTradeNo: string, body: Record<string, unknown>): void {
    this.#bodies.set(outTradeNo, body);
    if (this.#bodies.size > this.limit) this.#bodies.delete(this.#bodies.keys().next().value!);
  }
  body(outTradeNo: string): Record<string, unknown> | undefined {
    return this.#bodies.get(outTradeNo);
  }
}

async function checkout(opts: StorefrontOptions, form: URLSearchParams, recent: RecentCheckouts): Promise<{ status: number; html: string }> {
  const product = PRODUCTS.find((p) => p.id === form.get('product'));
  const service = form.get('service') as ServiceChoice | null;
  if (!product) return errorPage(400, 'Choose a product. 请选择商品。', opts.links);
  if (!service || !product.services.includes(service)) {
    return errorPage(400, `${product.name} cannot be bought with ${service ?? 'no service'}: choose one of ${product.services.join(', ')}.`, opts.links);
  }
  const outTradeNo = newOutTradeNo();
  const body = paymentRequest(product, service, form.get('charset') ?? 'utf-8', outTradeNo);
  recent.remember(outTradeNo, body);
  return requestPayment(opts, body);
}

/** POST /payments, then the auto-submitting form that takes the buyer to Alipay. */
async function requestPayment(opts: StorefrontOptions, body: Record<string, unknown>): Promise<{ status: number; html: string }> {
  const answer = await callApi(opts, 'POST', '/payments', body);
  if (answer.status !== 201 && answer.status !== 200) {
    const e = answer.json?.error ?? {};
    return errorPage(502, `POST /payments answered ${answer.status}: ${e.code ?? ''} ${e.message ?? ''}`, opts.links);
  }
  return { status: 200, html: renderAutoSubmitForm(answer.json.form, '正在前往支付宝 Redirecting to Alipay…') };
}

function resultPage(status: number, body: ResultBody, links: StorefrontOptions['links']): { status: number; html: string } {
  return { status, html: page(body.title, body.html, { links }) };
}

/** GET /payments/{outTradeNo}: the order, null when there is none, or the error page to show. */
async function fetchOrder(opts: StorefrontOptions, outTradeNo: string): Promise<ApiOrder | null | { status: number; html: string }> {
  const answer = await callApi(opts, 'GET', `/payments/${encodeURIComponent(outTradeNo)}`);
  if (answer.status === 404) return null;
  if (answer.status !== 200) {
    return errorPage(502, `GET /payments/${outTradeNo} answered ${answer.status}: ${answer.json?.error?.message ?? ''}`, opts.links, '查询失败 Could not look the order up');
  }
  return answer.json as ApiOrder;
}

/**
 * The page RETURN_RESULT_URL points at, and each order's own page. The `result` parameter is trusted only to say
 * less: "unverified" shows that page (the return changed nothing); every other status comes from the API.
 */
async function orderPage(opts: StorefrontOptions, outTradeNo: string | null, result: string | null, recent: RecentCheckouts): Promise<{ status: number; html: string }> {
  if (result === 'unverified') return resultPage(400, unverifiedResult(outTradeNo), opts.links);
  if (!outTradeNo) return resultPage(404, unknownResult(null), opts.links);
  const order = await fetchOrder(opts, outTradeNo);
  if (order === null) return resultPage(404, unknownResult(outTradeNo), opts.links);
  if ('html' in order) return order;
  return resultPage(200, orderResult(order, { canPayAgain: recent.body(outTradeNo) !== undefined, poll: opts.poll ?? DEFAULT_POLL }), opts.links);
}

/** What the result page polls: `{"result": "<buyer state>"}`. */
async function orderState(opts: StorefrontOptions, outTradeNo: string): Promise<{ status: number; json: unknown }> {
  const order = await fetchOrder(opts, outTradeNo);
  if (order === null) return { status: 404, json: { result: 'unknown' } };
  if ('html' in order) return { status: 502, json: { error: 'the payments API did not answer' } };
  return { status: 200, json: { result: stateOfApiOrder(order) } };
}

/** "Continue to pay": the same POST /payments body again, which answers the same form (Alipay keeps the trade). */
async function payAgain(opts: StorefrontOptions, outTradeNo: string, recent: RecentCheckouts): Promise<{ status: number; html: string }> {
  const body = recent.body(outTradeNo);
  if (!body) return errorPage(404, `This shop no longer remembers order ${outTradeNo}: start a new order. 请重新下单。`, opts.links, '无法继续付款 Cannot continue this payment');
  return requestPayment(opts, body);
}

function send(res: http.ServerResponse, status: number, text: string, type = 'text/html'): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': String(body.length), 'cache-control': 'no-store' }).end(body);
}

/**
 * Serves the shop's pages: `/`, `POST /shop/checkout`, `/shop/result?outTradeNo=…&result=…`, `/shop/orders/{outTradeNo}`,
 * what that page polls (`/shop/orders/{outTradeNo}/state`) and its "continue to pay" (`POST /shop/orders/{outTradeNo}/pay`).
 */
export function storefrontHandler(opts: StorefrontOptions): (req: RawHttpRequest, res: http.ServerResponse) => Promise<void> {
  const recent = new RecentCheckouts();
  return async (req, res) => {
    const url = new URL(req.target, 'http://localhost');
    try {
      if (req.method === 'GET' && url.pathname === '/') return send(res, 200, productPage(opts.links));
      if (req.method === 'POST' && url.pathname === '/shop/checkout') {
        const r = await checkout(opts, new URLSearchParams(req.body.toString('utf8')), recent);
        return send(res, r.status, r.html);
      }
      if (req.method === 'GET' && url.pathname === '/shop/result') {
        const r = await orderPage(opts, url.searchParams.get('outTradeNo'), url.searchParams.get('result'), recent);
        return send(res, r.status, r.html);
      }
      const m = /^\/shop\/orders\/([^/]+)(\/state|\/pay)?$/.exec(url.pathname);
      if (m) {
        const outTradeNo = decodeURIComponent(m[1]!);
        if (req.method === 'GET' && !m[2]) {
          const r = await orderPage(opts, outTradeNo, null, recent);
          return send(res, r.status, r.html);
        }
        if (req.method === 'GET' && m[2] === '/state') {
          const r = await orderState(opts, outTradeNo);
          return send(res, r.status, JSON.stringify(r.json), 'application/json');
        }
        if (req.method === 'POST' && m[2] === '/pay') {
          const r = await payAgain(opts, outTradeNo, recent);
          return send(res, r.status, r.html);
        }
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
    } catch (err) {
      const r = errorPage(502, `The payments API could not be reached: ${(err as Error).message}`, opts.links);
      send(res, r.status, r.html);
    }
  };
}
