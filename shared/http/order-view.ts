// The order as the storefront API shows it: yuan strings at the edge, the refund ledger, what can still be refunded.
import { formatYuan } from '../alipay/amount.ts';
import type { Order, RefundEntry } from '../orders/order.ts';
import { refundableFen, refundedFen } from '../orders/refunds.ts';

export const refundView = (e: RefundEntry) => ({
  batchNo: e.batchNo, amount: formatYuan(e.amountFen), reason: e.reason, mode: e.mode, status: e.status,
  requestId: e.requestId, requestedAt: e.requestedAt, updatedAt: e.updatedAt, ...(e.result ? { result: e.result } : {}),
});

export function orderView(order: Order) {
  const amount = order.amountFen ?? order.paidFen;
  const refunds = order.refunds ?? [];
  return {
    outTradeNo: order.outTradeNo,
    service: order.service,
    status: order.status,
    totalFee: amount === undefined ? null : formatYuan(amount),
    ...(order.paidFen !== undefined ? { paidFee: formatYuan(order.paidFen) } : {}),
    ...(order.tradeNo ? { tradeNo: order.tradeNo } : {}),
    ...(order.refund ? { refundStatus: order.refund.status } : {}),
    ...(order.paidFen !== undefined ? { refundedFee: formatYuan(refundedFen(order)), refundableFee: formatYuan(refundableFen(order)) } : {}),
    ...(refunds.length > 0 ? { refunds: refunds.map(refundView) } : {}),
    ...(order.shipment ? { shipment: order.shipment } : {}),
    anomalies: order.anomalies.map((a) => ({ code: a.code, detail: a.detail, at: a.at })),
    updatedAt: order.updatedAt,
  };
}
