// GET /payments/{outTradeNo} (storefront only): where the order stands, its refund ledger and anomalies.
import { HttpError } from '../shared/http/errors.ts';
import { requireBearer } from '../shared/http/event.ts';
import { jsonHandler } from '../shared/http/handler.ts';
import { json } from '../shared/http/responses.ts';
import { orderView } from '../shared/http/order-view.ts';
import { pathOutTradeNo } from '../shared/http/path.ts';

export const handler = jsonHandler('order-status', ['STOREFRONT_TOKEN'], async (event, { app }) => {
  requireBearer(event, app.config.storefrontToken);
  const outTradeNo = pathOutTradeNo(event);
  const order = await app.store.getOrder(outTradeNo);
  if (!order) throw new HttpError(404, 'ORDER_NOT_FOUND', `no order ${outTradeNo}`, 'outTradeNo');
  return json(200, orderView(order));
});
