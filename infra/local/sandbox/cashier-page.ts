// The buyer's cashier: what is being paid, the trade's status, and one form per button valid right now.
import { PAYMENT_SERVICES } from './alipay-rules.ts';
import type { SandboxTradeStatus, TradeAction } from './index.ts';
import { escapeMarkup } from './markup.ts';
import { layout } from './pages.ts';
import { availableActions, buyerChoosesAmount, type Trade } from './trades.ts';

const STATUS_TEXT: Readonly<Record<SandboxTradeStatus, string>> = {
  WAIT_BUYER_PAY: '等待买家付款 Waiting for payment',
  WAIT_SELLER_SEND_GOODS: '买家已付款，等待卖家发货 Paid into escrow, waiting for the seller to ship',
  WAIT_BUYER_CONFIRM_GOODS: '卖家已发货，等待买家确认收货 Shipped, waiting for the buyer to confirm',
  TRADE_SUCCESS: '交易成功（可退款） Paid (refundable)',
  TRADE_FINISHED: '交易完成 Finished',
  TRADE_CLOSED: '交易关闭 Closed',
};

export const BUTTON_TEXT: Readonly<Record<TradeAction, string>> = {
  pay: '确认付款 Pay',
  close: '关闭交易 Let it time out',
  ship: '卖家发货 Seller ships',
  confirm: '确认收货 Buyer confirms',
  finish: '退款期结束 Refund window ends',
  refund: '全额退款 Full refund',
};

function button(trade: Trade, action: TradeAction): string {
  const t = escapeMarkup(trade.tradeNo);
  const amount = action === 'pay' && buyerChoosesAmount(trade)
    ? `<label for="donation-amount">捐赠金额 Amount ¥ </label><input id="donation-amount" name="total_fee" required inputmode="decimal" pattern="[0-9]+(\\.[0-9]{1,2})?" placeholder="10.00"> `
    : '';
  return `<form method="post" action="/cashier/${t}/${action}" data-action="${action}">${amount}<button type="submit" id="${action}" data-action="${action}">${BUTTON_TEXT[action]}</button></form>`;
}

export function cashierPage(trade: Trade): string {
  const e = escapeMarkup;
  const actions = availableActions(trade);
  const amount = trade.totalFee === ''
    ? '<dd id="amount" data-amount="">由捐赠人填写 Chosen by the donor</dd>'
    : `<dd id="amount" data-amount="${e(trade.totalFee)}">¥${e(trade.totalFee)}</dd>`;
  const discount = trade.params.discount ? `<dt>优惠 Discount</dt><dd id="discount" data-discount="${e(trade.params.discount)}">¥${e(trade.params.discount)}</dd>` : '';
  const refund = trade.refundStatus ? `<dt>退款 Refund</dt><dd id="refund-status" data-refund-status="${e(trade.refundStatus)}">${e(trade.refundStatus)} ${e(trade.gmtRefund ?? '')}</dd>` : '';
  const shipping = trade.logistics ? `<dt>物流 Logistics</dt><dd id="logistics">${e(trade.logistics.type)} ¥${e(trade.logistics.fee)} (${e(trade.logistics.payment)})${trade.logistics.name ? `, ${e(trade.logistics.name)} ${e(trade.logistics.invoiceNo ?? '')}` : ''}</dd>` : '';
  const history = trade.history.map((h) => `<li>${e(h.at)} ${e(h.status)}</li>`).join('');
  return layout(
    `支付宝收银台 Alipay cashier — ${trade.subject}`,
    `<main id="cashier" data-trade-no="${e(trade.tradeNo)}" data-out-trade-no="${e(trade.outTradeNo)}" data-status="${e(trade.status)}" data-service="${e(trade.service)}" data-kind="${trade.kind}" data-actions="${actions.join(' ')}">
<h1>支付宝收银台 Alipay cashier</h1>
<dl>
<dt>商品 Subject</dt><dd id="subject">${e(trade.subject)}</dd>
${trade.body ? `<dt>描述 Description</dt><dd id="body">${e(trade.body)}</dd>` : ''}
<dt>金额 Amount</dt>${amount}
<dt>卖家 Seller</dt><dd id="seller" data-seller-id="${e(trade.sellerId)}">${e(trade.sellerEmail)} (${e(trade.sellerId)})</dd>
<dt>订单号 Order number</dt><dd id="out-trade-no">${e(trade.outTradeNo)}</dd>
<dt>交易号 Trade number</dt><dd id="trade-no">${e(trade.tradeNo)}</dd>
<dt>交易类型 Service</dt><dd>${e(PAYMENT_SERVICES[trade.service].title)} (${e(trade.service)})</dd>
${shipping}
${discount}
<dt>交易状态 Status</dt><dd id="trade-status" data-status="${e(trade.status)}">${e(STATUS_TEXT[trade.status])} <code>${e(trade.status)}</code></dd>
${refund}
</dl>
<div id="actions">${actions.map((a) => button(trade, a)).join('\n') || '<p id="no-actions">交易已结束 The trade is over.</p>'}</div>
<details><summary>历史 History</summary><ol id="history">${history}</ol></details>
</main>`,
  );
}
