// POST /payments/{outTradeNo}/ship (storefront only): send_goods_confirm_by_platform for an escrow trade. The order
// then waits for Alipay's WAIT_BUYER_CONFIRM_GOODS notification.
import { operationDeps } from '../shared/gateway-calls.ts';
import { jsonBody, requireBearer } from '../shared/http/event.ts';
import { jsonHandler } from '../shared/http/handler.ts';
import { json } from '../shared/http/responses.ts';
import { orderView } from '../shared/http/order-view.ts';
import { pathOutTradeNo } from '../shared/http/path.ts';
import { shipmentFrom, shipPayment } from '../shared/payments/operations.ts';

export const handler = jsonHandler('ship-payment', ['ALIPAY_KEY', 'STOREFRONT_TOKEN'], async (event, { app, log }) => {
  requireBearer(event, app.config.storefrontToken);
  const outTradeNo = pathOutTradeNo(event);
  const shipment = shipmentFrom(jsonBody(event), app.now());
  const order = await shipPayment(operationDeps(app), outTradeNo, shipment, app.deadline());
  log.info('shipment confirmed to Alipay', { outTradeNo, transportType: shipment.transportType });
  return json(202, orderView(order));
});
