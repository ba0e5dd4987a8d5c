// POST /payments/{outTradeNo}/refunds (storefront only): one refund in the order's ledger, asked of Alipay.
// 201 for a new refund, 200 for the same requestId again; pwd answers the page the seller confirms it on.
import { randomUUID } from 'node:crypto';
import { formatYuan } from '../shared/alipay/amount.ts';
import { operationDeps } from '../shared/gateway-calls.ts';
import { jsonBody, requireBearer } from '../shared/http/event.ts';
import { jsonHandler } from '../shared/http/handler.ts';
import { json } from '../shared/http/responses.ts';
import { orderView, refundView } from '../shared/http/order-view.ts';
import { pathOutTradeNo } from '../shared/http/path.ts';
import { refundAskFrom, refundPayment } from '../shared/payments/operations.ts';

export const handler = jsonHandler('refund-payment', ['ALIPAY_KEY', 'STOREFRONT_TOKEN'], async (event, { app, log }) => {
  requireBearer(event, app.config.storefrontToken);
  const outTradeNo = pathOutTradeNo(event);
  const ask = refundAskFrom(jsonBody(event), app.config.refundMode, randomUUID().replaceAll('-', ''));
  const answer = await refundPayment(operationDeps(app), outTradeNo, ask, app.deadline());
  log.info(answer.created ? 'refund requested' : 'refund already requested', { outTradeNo, batchNo: answer.refund.batchNo, amount: formatYuan(answer.refund.amountFen), mode: answer.refund.mode });
  return json(answer.created ? 201 : 200, {
    refund: refundView(answer.refund),
    order: orderView(answer.order),
    ...(answer.confirm ? { confirm: answer.confirm } : {}),
  });
});
