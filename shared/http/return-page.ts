// The buyer's result page after the return redirect, in Chinese and English: one honest page per buyer state.
// The demo shop's result page shows the same headings (BUYER_TEXT), so both tell a buyer the same thing.
import { formatYuan } from '../alipay/amount.ts';
import { escapeHtml } from '../alipay/request.ts';
import { buyerState, type BuyerState } from '../orders/buyer-state.ts';
import type { Order } from '../orders/order.ts';
import { refundedFen } from '../orders/refunds.ts';

/** The page's state; also the `result` query parameter of a redirect to RETURN_RESULT_URL. */
export type ReturnResult = BuyerState;

export function resultFor(order: Order): ReturnResult {
  return buyerState({
    status: order.status,
    refundedFen: refundedFen(order),
    ...(order.paidFen !== undefined ? { paidFen: order.paidFen } : {}),
    ...(order.refund ? { refundStatus: order.refund.status } : {}),
  });
}

export interface BuyerText {
  zh: string;
  en: string;
  note: string;
  /** The heading's colour class: good news, neutral news, waiting, or a problem. */
  tone: 'good' | 'info' | 'waiting' | 'problem';
}

export const BUYER_TEXT: Readonly<Record<BuyerState, BuyerText>> = {
  paid: { zh: '支付成功', en: 'Payment received', tone: 'good', note: 'Thank you: your order is paid. 感谢您的购买，订单已支付。' },
  escrow: {
    zh: '已付款，等待卖家发货', en: 'Paid into escrow — waiting for the seller to ship', tone: 'good',
    note: 'Alipay holds your payment until you confirm you received the goods. 货款由支付宝担保，您确认收货后才会付给卖家。',
  },
  shipped: {
    zh: '卖家已发货，等待确认收货', en: 'Shipped — waiting for you to confirm receipt', tone: 'good',
    note: 'The seller has shipped. Once the goods arrive, confirm receipt on Alipay; only then is the seller paid. 卖家已发货，收到货后请在支付宝确认收货。',
  },
  partlyrefunded: {
    zh: '已部分退款', en: 'Partly refunded', tone: 'info',
    note: 'Part of your payment went back to you; the rest stays paid. 部分货款已退回，其余仍为已支付。',
  },
  refunded: { zh: '已全额退款', en: 'Refunded in full', tone: 'info', note: 'Your payment went back to you in full. 货款已全部退回。' },
  closed: {
    zh: '交易已关闭，未付款', en: 'Closed without payment', tone: 'problem',
    note: 'The trade was closed before it was paid: no money was taken. To buy, start a new order. 交易在付款前已关闭，未扣款。如需购买，请重新下单。',
  },
  waiting: {
    zh: '等待付款', en: 'Waiting for your payment', tone: 'waiting',
    note: 'No payment has reached us for this order yet. If you paid, Alipay’s confirmation usually follows within seconds. 我们尚未收到此订单的付款；如已付款，支付宝的确认通常几秒内到达。',
  },
  unverified: {
    zh: '无法验证', en: 'Could not verify this link', tone: 'problem',
    note: 'This link could not be verified as coming from Alipay, so it changed nothing. Check the order’s status instead. 无法确认此链接来自支付宝，订单未做任何更改，请查看订单状态。',
  },
  unknown: {
    zh: '找不到订单', en: 'Order not found', tone: 'problem',
    note: 'There is no order with this number. Check the link, or start again from the shop. 没有此订单号的订单，请检查链接或重新下单。',
  },
};

/** "支付成功 · Payment received": the heading both result pages show. */
export const buyerHeading = (state: BuyerState): string => `${BUYER_TEXT[state].zh} · ${BUYER_TEXT[state].en}`;

/** Shared by the result pages: readable at 390 px, long order numbers wrap instead of widening the page. */
export const RESULT_PAGE_STYLE = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}
h1{font-size:1.4rem;line-height:1.3}.good{color:#1a7f37}.info{color:#0969da}.waiting{color:#9a6700}.problem{color:#b42318}
table{border-collapse:collapse;width:100%}th{text-align:left;padding:.2rem 1rem .2rem 0;color:#555;white-space:nowrap;vertical-align:top}td{padding:.2rem 0;word-break:break-all}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}.actions a,.actions button{font-size:1rem;padding:.5rem 1rem;border-radius:4px;border:1px solid #1677ff;background:#fff;color:#1677ff;text-decoration:none;cursor:pointer}
.actions .primary{background:#1677ff;color:#fff}`;

export function renderReturnPage(result: ReturnResult, info: { outTradeNo?: string; amountFen?: number }): string {
  const t = BUYER_TEXT[result];
  // An unverified link's order number is only what the link claims: say so.
  const orderLabel = result === 'unverified' ? '链接中的订单号 Order named in the link' : '订单号 Order';
  const rows = [
    info.outTradeNo ? `<tr><th>${orderLabel}</th><td id="out-trade-no">${escapeHtml(info.outTradeNo)}</td></tr>` : '',
    info.amountFen !== undefined ? `<tr><th>金额 Amount</th><td>¥${formatYuan(info.amountFen)}</td></tr>` : '',
  ].join('');
  // The return URL is safe to load again (a repeated return is a duplicate): it shows the status as it is now.
  const again = result === 'waiting'
    ? '<p class="actions"><a id="check-again" class="primary" href="">再次查看 Check again</a></p>'
    : '';
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.zh} · ${t.en}</title>
<style>${RESULT_PAGE_STYLE}</style></head>
<body class="${result}" data-result="${result}"><h1 id="result" class="${t.tone}" data-result="${result}">${buyerHeading(result)}</h1><p id="note">${escapeHtml(t.note)}</p>
<table id="order">${rows}</table>${again}</body></html>`;
}
