// The buyer's result page after the return redirect, in Chinese and English.
import { formatYuan } from '../alipay/amount.ts';
import { escapeHtml } from '../alipay/request.ts';
import type { Order } from '../orders/order.ts';
import { refundedFen } from '../orders/refunds.ts';
import { isAwaitingPayment, isPaid } from '../orders/trade-status.ts';

export type ReturnResult = 'paid' | 'refunded' | 'waiting' | 'failed' | 'unverified';

export function resultFor(order: Order | undefined): ReturnResult {
  if (!order) return 'waiting';
  // Money went back: say so, whatever the trade status (a full refund closes the trade).
  if (refundedFen(order) > 0 || order.refund?.status === 'REFUND_SUCCESS') return 'refunded';
  if (isPaid(order.status)) return 'paid';
  if (isAwaitingPayment(order.status)) return 'waiting';
  return 'failed';
}

const TEXT: Record<ReturnResult, { zh: string; en: string; note: string }> = {
  paid: { zh: '支付成功', en: 'Payment received', note: 'Thank you. Your order is paid. 感谢您的购买，订单已支付。' },
  refunded: { zh: '已退款', en: 'Refunded', note: 'This payment was refunded, in part or in full. 此订单的付款已（部分或全部）退回。' },
  waiting: { zh: '等待支付确认', en: 'Waiting for confirmation', note: 'We have not yet received Alipay’s confirmation. This page does not need to stay open; your order updates by itself. 我们尚未收到支付宝的确认，订单状态会自动更新。' },
  failed: { zh: '交易已关闭', en: 'Payment not completed', note: 'The trade was closed without payment. 交易已关闭，未完成支付。' },
  unverified: { zh: '无法验证', en: 'Could not verify this page', note: 'The link could not be verified as coming from Alipay, so nothing was changed. Check your order status instead. 无法确认此页面来自支付宝，订单未做任何更改。' },
};

export function renderReturnPage(result: ReturnResult, info: { outTradeNo?: string; amountFen?: number }): string {
  const t = TEXT[result];
  const rows = [
    info.outTradeNo ? `<tr><th>订单号 Order</th><td>${escapeHtml(info.outTradeNo)}</td></tr>` : '',
    info.amountFen !== undefined ? `<tr><th>金额 Amount</th><td>¥${formatYuan(info.amountFen)}</td></tr>` : '',
  ].join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.zh} · ${t.en}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}.paid h1{color:#1a7f37}.refunded h1{color:#0969da}.failed h1,.unverified h1{color:#b42318}.waiting h1{color:#9a6700}
th{text-align:left;padding-right:1rem;color:#555}</style></head>
<body class="${result}" data-result="${result}"><h1>${t.zh} · ${t.en}</h1><p>${escapeHtml(t.note)}</p>
<table>${rows}</table></body></html>`;
}
