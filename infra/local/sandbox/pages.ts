// The sandbox's HTML pages for the buyer: Alipay's error page, the "paid" page, and short answers for refused buttons.
import { escapeMarkup } from './markup.ts';
import type { Trade } from './trades.ts';

const STYLE = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.banner{background:#1677ff;color:#fff;padding:.4rem .8rem;border-radius:4px;font-size:.85rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.3rem 1rem}dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
@media (max-width:30rem){dl{grid-template-columns:minmax(0,1fr);gap:0}dt{margin-top:.5rem;font-size:.85rem}}
form{display:inline-block;margin:.3rem .5rem .3rem 0}button{font-size:1rem;padding:.5rem 1rem;cursor:pointer}
.error{color:#b42318}.reason{background:#f6f6f6;padding:.6rem;white-space:pre-wrap;word-break:break-all;font-family:ui-monospace,monospace;font-size:.85rem}
body.wide{max-width:none}table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;vertical-align:top}`;

/** A complete UTF-8 page with the sandbox banner. */
export function layout(title: string, body: string, attrs = ''): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeMarkup(title)}</title><style>${STYLE}</style></head>
<body${attrs}><p class="banner">支付宝沙箱 Alipay sandbox — 本地测试，不会产生真实交易 local testing, no real money · <a style="color:#fff" href="/sandbox">log</a></p>
${body}
</body></html>`;
}

/** Alipay's gateway error page, with the code in `#error-code[data-error-code]` and the reason for the developer. */
export function errorPage(code: string, reason: string): string {
  const c = escapeMarkup(code);
  return layout(
    `支付宝 - 错误 ${code}`,
    `<main id="gateway-error" data-error-code="${c}">
<h1 class="error">调试错误 Debugging error</h1>
<p id="error-message">调试错误，请回到请求来源地，重新发起请求。错误代码 <strong id="error-code" data-error-code="${c}">${c}</strong></p>
<p>Debugging error: go back to where the request came from and send it again. Error code <strong>${c}</strong></p>
<p>原因 Reason:</p><p class="reason" id="error-reason">${escapeMarkup(reason)}</p>
</main>`,
  );
}

/** A refused or impossible button, an unknown trade, a wrong amount. */
export function problemPage(status: number, message: string, tradeNo?: string): string {
  const back = tradeNo ? `<p><a id="back-to-cashier" href="/cashier/${escapeMarkup(tradeNo)}">返回收银台 Back to the cashier</a></p>` : '';
  const title = status === 404 ? '找不到交易 Trade not found' : status === 409 ? '操作不可用 Not possible now' : '输入有误 Invalid input';
  return layout(title, `<main id="problem" data-status="${status}"><h1 class="error">${title}</h1><p id="problem-message">${escapeMarkup(message)}</p>${back}</main>`);
}

/** After pay when the request had no return_url. */
export function paidPage(trade: Trade): string {
  const t = escapeMarkup(trade.tradeNo);
  return layout(
    '付款成功 Payment successful',
    `<main id="paid" data-trade-no="${t}" data-status="${escapeMarkup(trade.status)}">
<h1>付款成功 Payment successful</h1>
<p>您已成功付款 ¥<span id="paid-amount">${escapeMarkup(trade.totalFee)}</span>。 You paid ¥${escapeMarkup(trade.totalFee)} for “${escapeMarkup(trade.subject)}”.</p>
<p>订单号 Order number: ${escapeMarkup(trade.outTradeNo)}</p>
<p>商户未提供 return_url，因此不会跳转回商户网站。 The merchant gave no return_url, so there is no way back to the shop.</p>
<p><a id="back-to-cashier" href="/cashier/${t}">查看交易 View the trade</a></p>
</main>`,
  );
}
