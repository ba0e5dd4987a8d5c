// POST /payments/{outTradeNo}/close (storefront only): close_trade for an unpaid order; the order is then closed.
import { operationDeps } from '../shared/gateway-calls.ts';
import { optionalJsonBody, requireBearer } from '../shared/http/event.ts';
import { jsonHandler } from '../shared/http/handler.ts';
import { json } from '../shared/http/responses.ts';
import { orderView } from '../shared/http/order-view.ts';
import { pathOutTradeNo } from '../shared/http/path.ts';
import { checkCloseRequest, closePayment } from '../shared/payments/operations.ts';

export const handler = jsonHandler('close-payment', ['ALIPAY_KEY', 'STOREFRONT_TOKEN'], async (event, { app, log }) => {
  requireBearer(event, app.config.storefrontToken);
  const outTradeNo = pathOutTradeNo(event);
  checkCloseRequest(optionalJsonBody(event));
  const order = await closePayment(operationDeps(app), outTradeNo, app.deadline());
  log.info('order closed', { outTradeNo });
  return json(200, orderView(order));
});
