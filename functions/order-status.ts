// GET /payments/{outTradeNo} (storefront only): where the order stands.
import { formatYuan } from '../shared/alipay/amount.ts';
import { isOutTradeNo, OUT_TRADE_NO_RULE } from '../shared/alipay/services.ts';
import { HttpError } from '../shared/http/errors.ts';
import { requireBearer } from '../shared/http/event.ts';
import { jsonHandler } from '../shared/http/handler.ts';
import { json } from '../shared/http/responses.ts';

export const handler = jsonHandler('order-status', ['STOREFRONT_TOKEN'], async (event, { app }) => {
  requireBearer(event, app.config.storefrontToken);
  const outTradeNo = event.pathParameters?.outTradeNo ?? '';
  if (!isOutTradeNo(outTradeNo)) throw new HttpError(400, 'INVALID_PARAMETER', `outTradeNo must be ${OUT_TRADE_NO_RULE}`, 'outTradeNo');
  const order = await app.store.getOrder(outTradeNo);
  if (!order) throw new HttpError(404, 'ORDER_NOT_FOUND', `no order ${outTradeNo}`, 'outTradeNo');
  const amount = order.amountFen ?? order.paidFen;
  return json(200, {
    outTradeNo: order.outTradeNo,
    service: order.service,
    status: order.status,
    totalFee: amount === undefined ? null : formatYuan(amount),
    ...(order.paidFen !== undefined ? { paidFee: formatYuan(order.paidFen) } : {}),
    ...(order.tradeNo ? { tradeNo: order.tradeNo } : {}),
    ...(order.refund ? { refundStatus: order.refund.status } : {}),
    anomalies: order.anomalies.map((a) => ({ code: a.code, detail: a.detail, at: a.at })),
    updatedAt: order.updatedAt,
  });
});
