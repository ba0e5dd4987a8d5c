// The demo shop's result page: one honest heading per buyer state (the return handler's words, BUYER_TEXT), the
// order as GET /payments/{outTradeNo} shows it, and, only while payment is awaited, a page that checks again by
// itself with a backoff (a few seconds up to 30 s), stops after a while, and always offers "check again".
import { parseYuan, type Fen } from '../../shared/alipay/amount.ts';
import { escapeHtml } from '../../shared/alipay/request.ts';
import { BUYER_TEXT, buyerHeading } from '../../shared/http/return-page.ts';
import { awaitsPayment, buyerState, type BuyerState } from '../../shared/orders/buyer-state.ts';
import type { OrderStatus } from '../../shared/orders/trade-status.ts';

/** The fields of GET /payments/{outTradeNo} this page reads. */
export interface ApiOrder {
  outTradeNo: string;
  service: string;
  status: OrderStatus;
  totalFee: string | null;
  paidFee?: string;
  tradeNo?: string;
  refundStatus?: string;
  refundedFee?: string;
}

export interface PollSchedule {
  /** Waits between checks, in ms; the last one repeats. */
  delaysMs: readonly number[];
  /** Checks before the page stops and leaves it to the "check again" button. */
  maxChecks: number;
}

/** 3 s, 5 s, 8 s, 13 s, 20 s, then every 30 s: about six minutes in all. */
export const DEFAULT_POLL: PollSchedule = { delaysMs: [3000, 5000, 8000, 13_000, 20_000, 30_000], maxChecks: 16 };

const fenOf = (yuan: string | undefined): Fen | undefined => (yuan === undefined ? undefined : parseYuan(yuan, 'fee', { min: 0 as Fen }));

export function stateOfApiOrder(order: ApiOrder): BuyerState {
  const paidFen = fenOf(order.paidFee);
  return buyerState({
    status: order.status,
    refundedFen: fenOf(order.refundedFee) ?? (0 as Fen),
    ...(paidFen !== undefined ? { paidFen } : {}),
    ...(order.refundStatus ? { refundStatus: order.refundStatus } : {}),
  });
}

/** Where a page's links and the poll point for one order. */
export const orderPath = (outTradeNo: string): string => `/shop/orders/${encodeURIComponent(outTradeNo)}`;

export interface ResultBody {
  title: string;
  html: string;
}

function heading(state: BuyerState, status?: string): string {
  const statusAttr = status ? ` data-status="${escapeHtml(status)}"` : '';
  return `<h1 class="${BUYER_TEXT[state].tone}" id="result" data-result="${state}"${statusAttr}>${buyerHeading(state)}</h1>
<p id="note">${escapeHtml(BUYER_TEXT[state].note)}</p>`;
}

const rowsOf = (rows: [string, string][]): string => rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');

/** The page for an order the API knows. `canPayAgain`: the shop can send the buyer back to Alipay for it. */
export function orderResult(order: ApiOrder, opts: { canPayAgain: boolean; poll: PollSchedule }): ResultBody {
  const state = stateOfApiOrder(order);
  const rows: [string, string][] = [
    ['订单号 Order', order.outTradeNo],
    ['支付方式 Service', order.service],
    ['金额 Amount', order.totalFee === null ? '—' : `¥${order.totalFee}`],
    ['状态 Status', order.status],
    ['支付宝交易号 Alipay trade', order.tradeNo ?? '—'],
    ...(order.refundedFee && order.refundedFee !== '0.00' ? [['已退款 Refunded', `¥${order.refundedFee}`] as [string, string]] : []),
    ...(order.refundStatus ? [['退款 Refund', order.refundStatus] as [string, string]] : []),
  ];
  const self = orderPath(order.outTradeNo);
  let actions = '';
  let poll = '';
  if (awaitsPayment(state)) {
    const pay = opts.canPayAgain
      ? `<form method="post" action="${escapeHtml(`${self}/pay`)}"><button type="submit" class="primary" id="pay-again">继续付款 Continue to pay</button></form>`
      : '';
    actions = `<div class="actions">${pay}<a id="check-again" href="${escapeHtml(self)}">再次查看 Check again</a><a id="back-to-shop" href="/">返回商店 Back to the shop</a></div>`;
    poll = pollScript(order.outTradeNo, state, opts.poll);
  } else if (state === 'closed') {
    actions = '<div class="actions"><a id="back-to-shop" class="primary" href="/">重新下单 Start a new order</a></div>';
  }
  return {
    title: buyerHeading(state),
    html: `${heading(state, order.status)}
<table id="order">${rowsOf(rows)}</table>
${actions}${poll}`,
  };
}

/** A return the handler could not verify: it changed nothing; name the order the link claims, if any. */
export function unverifiedResult(outTradeNo: string | null): ResultBody {
  const rows = outTradeNo ? `<table id="order">${rowsOf([['链接中的订单号 Order named in the link', outTradeNo]])}</table>` : '';
  const link = outTradeNo
    ? `<a id="order-status" class="primary" href="${escapeHtml(orderPath(outTradeNo))}">查看订单状态 See the order’s status</a>`
    : '';
  return {
    title: buyerHeading('unverified'),
    html: `${heading('unverified')}${rows}<div class="actions">${link}<a id="back-to-shop" href="/">返回商店 Back to the shop</a></div>`,
  };
}

/** No such order (or no order number in the link). */
export function unknownResult(outTradeNo: string | null): ResultBody {
  const rows = outTradeNo ? `<table id="order">${rowsOf([['订单号 Order', outTradeNo]])}</table>` : '';
  return {
    title: buyerHeading('unknown'),
    html: `${heading('unknown')}${rows}<div class="actions"><a id="back-to-shop" class="primary" href="/">返回商店 Back to the shop</a></div>`,
  };
}

/**
 * Checks `${order}/state` after each delay; when the state is no longer `state` it loads the order's page (which
 * polls no more unless still waiting). After maxChecks it stops and says so; "check again" reloads and starts over.
 */
function pollScript(outTradeNo: string, state: BuyerState, poll: PollSchedule): string {
  const self = orderPath(outTradeNo);
  return `<p id="poll" data-polling="on" data-checks="0" data-state="${state}" data-delays="${poll.delaysMs.join(',')}" data-max-checks="${poll.maxChecks}" data-state-url="${escapeHtml(`${self}/state`)}" data-page-url="${escapeHtml(self)}"><span id="poll-status">本页会自动查询订单状态 This page checks the order by itself.</span></p>
<script>
(() => {
  const box = document.getElementById('poll'), status = document.getElementById('poll-status');
  const delays = box.dataset.delays.split(',').map(Number), max = Number(box.dataset.maxChecks);
  let checks = 0;
  const schedule = () => {
    if (checks >= max) {
      box.dataset.polling = 'stopped';
      status.textContent = '已停止自动查询，请点“再次查看”。 Stopped checking by itself: use “Check again”.';
      return;
    }
    const wait = delays[Math.min(checks, delays.length - 1)];
    checks += 1;
    box.dataset.checks = String(checks);
    status.textContent = wait / 1000 + ' 秒后再次查询 Checking again in ' + wait / 1000 + ' s';
    setTimeout(check, wait);
  };
  const check = async () => {
    try {
      const answer = await fetch(box.dataset.stateUrl, { cache: 'no-store' });
      if (answer.ok && (await answer.json()).result !== box.dataset.state) {
        box.dataset.polling = 'done';
        location.replace(box.dataset.pageUrl);
        return;
      }
    } catch {
      // A failed check is retried on the same schedule.
    }
    schedule();
  };
  schedule();
})();
</script>`;
}
