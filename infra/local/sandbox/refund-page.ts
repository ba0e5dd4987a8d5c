// The seller's page for a refund_fastpay_by_platform_pwd batch: what will be refunded from which trade, a password
// field (the sandbox checks nothing: there is no real seller) and the confirm button; after confirming, each item's result.
import type { SandboxRefundBatch } from './index.ts';
import { escapeMarkup } from './markup.ts';
import { layout } from './pages.ts';
import { successNum } from './refund-batches.ts';
import { refundedFen } from './trade-refunds.ts';
import type { Trade } from './trades.ts';
import { fenOf, yuanOf } from './yuan.ts';

export const refundPagePath = (partner: string, batchNo: string): string => `/refund/${encodeURIComponent(partner)}/${encodeURIComponent(batchNo)}`;

export function refundPage(batch: SandboxRefundBatch, tradeOf: (tradeNo: string) => Trade | undefined): string {
  const e = escapeMarkup;
  const applied = batch.status === 'APPLIED';
  const total = batch.items.reduce((sum, i) => sum + fenOf(i.amount), 0n);
  const rows = batch.items.map((item, i) => {
    const trade = tradeOf(item.tradeNo);
    const mine = trade?.partner === batch.partner ? trade : undefined;
    const result = batch.results?.[i]?.result;
    return `<tr data-trade-no="${e(item.tradeNo)}"${result ? ` data-result="${e(result)}"` : ''}><td>${e(item.tradeNo)}</td><td>${e(mine?.outTradeNo ?? '')}</td><td>${e(mine?.subject ?? '')}</td>` +
      `<td>${mine ? `¥${e(mine.totalFee)}` : ''}</td><td>${mine ? `¥${yuanOf(refundedFen(mine))}` : ''}</td><td class="amount">¥${e(item.amount)}</td><td>${e(item.reason)}</td>` +
      `${applied ? `<td class="result">${e(result ?? '')}</td>` : ''}</tr>`;
  }).join('\n');
  const action = `${refundPagePath(batch.partner, batch.batchNo)}/confirm`;
  const confirm = applied
    ? `<p id="refund-applied">已退款 Applied ${e(batch.appliedAt ?? '')}: <span id="success-num">${successNum(batch)}</span> / ${batch.items.length} 笔成功 succeeded.</p>`
    : `<form method="post" action="${e(action)}" id="confirm-form">
<p>卖家确认退款，请输入支付密码 The seller confirms the refund with their payment password (the sandbox checks nothing).</p>
<label for="seller-password">支付密码 Password </label><input id="seller-password" name="password" type="password" autocomplete="off" placeholder="any">
<button type="submit" id="confirm-refund">确认退款 Confirm refund</button>
</form>`;
  return layout(
    `支付宝 - 批量退款 Refund batch ${batch.batchNo}`,
    `<main id="refund" data-partner="${e(batch.partner)}" data-batch-no="${e(batch.batchNo)}" data-status="${batch.status}" data-service="${e(batch.service)}">
<h1>批量退款 Refund batch</h1>
<dl>
<dt>批次号 Batch</dt><dd id="batch-no">${e(batch.batchNo)}</dd>
<dt>卖家 Seller</dt><dd id="seller" data-seller-id="${e(batch.sellerId)}">${e(batch.sellerId)}</dd>
<dt>退款日期 Refund date</dt><dd>${e(batch.refundDate)}</dd>
<dt>笔数 Items</dt><dd id="batch-num">${batch.items.length}</dd>
<dt>退款总额 Total</dt><dd id="refund-total" data-amount="${yuanOf(total)}">¥${yuanOf(total)}</dd>
<dt>状态 Status</dt><dd id="batch-status">${applied ? '已退款 Applied' : '等待卖家确认 Awaiting the seller'} <code>${batch.status}</code></dd>
</dl>
<table id="refund-items"><thead><tr><th>交易号 trade_no</th><th>订单号 out_trade_no</th><th>商品 Subject</th><th>已付 Paid</th><th>已退 Refunded</th><th>退款 Refund</th><th>原因 Reason</th>${applied ? '<th>结果 Result</th>' : ''}</tr></thead>
<tbody>
${rows}
</tbody></table>
${confirm}
</main>`,
  );
}
