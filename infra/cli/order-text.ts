// Orders for a person to read: one order in full, a listing one line per order. Amounts in yuan.
import { formatYuan } from '../../shared/alipay/amount.ts';
import type { Order } from '../../shared/orders/order.ts';
import { refundableFen, refundedFen } from '../../shared/orders/refunds.ts';
import type { OrderSummary } from '../../shared/payments/store-port.ts';

const yuan = (fen: number | undefined): string => (fen === undefined ? '—' : formatYuan(fen));

/** Label-value lines, labels padded to one column. */
export function fields(rows: [string, string | undefined][], indent = '  '): string[] {
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`);
}

/** Rows of cells, each column as wide as its widest cell (the last one not padded). */
export function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

export function formatOrder(order: Order): string {
  const lines = [`order ${order.outTradeNo}`];
  lines.push(...fields([
    ['status', `${order.status}${order.refund ? `, refund ${order.refund.status}${order.refund.at ? ` at ${order.refund.at}` : ''}` : ''}`],
    ['service', `${order.service} (${order.kind}), ${order.charset}`],
    ['subject', order.subject],
    ['amount', order.amountFen === undefined ? 'chosen by the donor' : `${yuan(order.amountFen)}${order.acceptedAmountsFen.length > 1 ? ` (accepted: ${order.acceptedAmountsFen.map(yuan).join(', ')})` : ''}`],
    ['paid', yuan(order.paidFen)],
    ...(order.refunds?.length ? [['refunded', `${yuan(refundedFen(order))}, refundable ${yuan(refundableFen(order))}`] as [string, string]] : []),
    ['trade_no', order.tradeNo ?? '—'],
    ['partner', `${order.partner}${order.sellerId && order.sellerId !== order.partner ? `, seller ${order.sellerId}` : ''}${order.sellerEmail ? ` <${order.sellerEmail}>` : ''}`],
    ['created', order.createdAt],
    ['updated', `${order.updatedAt} (version ${order.version})`],
  ]));
  if (order.refunds?.length) {
    lines.push('', `refund ledger (${order.refunds.length})`);
    lines.push(...table([
      ['batch_no', 'amount', 'status', 'mode', 'requested', 'request id', 'reason'],
      ...order.refunds.map((r) => [r.batchNo, yuan(r.amountFen), r.result ? `${r.status} (${r.result})` : r.status, r.mode, r.requestedAt, r.requestId, r.reason]),
    ]));
  }
  if (order.shipment) {
    const s = order.shipment;
    lines.push('', 'shipment', `  ${s.logisticsName} ${s.invoiceNo} (${s.transportType}) at ${s.at}`);
  }
  lines.push('', `history (${order.history.length}${order.history.length ? ', oldest first' : ''})`);
  if (order.history.length) {
    lines.push(...table(order.history.map((h) => [h.at, h.source, h.refundStatus ? `${h.status} ${h.refundStatus}` : h.status, h.eventId])));
  } else {
    lines.push('  nothing reported by Alipay yet');
  }
  lines.push('', `anomalies (${order.anomalies.length})`);
  if (order.anomalies.length) lines.push(...table(order.anomalies.map((a) => [a.at, a.code, `${a.detail}${a.eventId ? ` (event ${a.eventId})` : ''}`])));
  else lines.push('  none');
  return lines.join('\n');
}

export function formatListing(orders: OrderSummary[]): string {
  if (orders.length === 0) return 'no orders';
  return table([
    ['created', 'out_trade_no', 'status', 'amount', 'paid', 'service', 'anomalies'],
    ...orders.map((o) => [o.createdAt, o.outTradeNo, o.status, yuan(o.amountFen), yuan(o.paidFen), o.service, o.hasAnomalies ? 'yes' : '']),
  ], '').join('\n').replace(/ +$/gm, '');
}
