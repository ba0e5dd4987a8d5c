// POST /payments (storefront only): record the order, answer the signed Alipay gateway URL and form.
import { createPayment, OrderConflictError } from '../shared/payments/create-payment.ts';
import { HttpError } from '../shared/http/errors.ts';
import { jsonBody, requireBearer } from '../shared/http/event.ts';
import { jsonHandler } from '../shared/http/handler.ts';
import { json } from '../shared/http/responses.ts';

export const handler = jsonHandler('create-payment', ['ALIPAY_KEY', 'STOREFRONT_TOKEN'], async (event, { app, log }) => {
  requireBearer(event, app.config.storefrontToken);
  const body = jsonBody(event);
  try {
    const { created, answer } = await createPayment(app.createPaymentDeps, body);
    log.info(created ? 'order created' : 'order already existed, same request', { outTradeNo: answer.outTradeNo });
    return json(created ? 201 : 200, answer);
  } catch (err) {
    if (err instanceof OrderConflictError) throw new HttpError(409, 'ORDER_CONFLICT', err.message, 'outTradeNo', { fields: err.fields });
    throw err;
  }
});
