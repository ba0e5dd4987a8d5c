// GET /alipay/return: the buyer's browser after paying. Verified like a notify; the async notify stays the source of truth.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getApp } from '../shared/app.ts';
import { rawQueryBytes, requestId } from '../shared/http/event.ts';
import { html, redirect } from '../shared/http/responses.ts';
import { renderReturnPage, resultFor, type ReturnResult } from '../shared/http/return-page.ts';
import { logger } from '../shared/log.ts';
import type { Order } from '../shared/orders/order.ts';
import { processTradeEvent } from '../shared/payments/process-event.ts';
import { keepRejected, receiveSigned } from '../shared/payments/receive.ts';
import { returnIsFresh } from '../shared/alipay/notify-id.ts';
import { isOutTradeNo } from '../shared/alipay/services.ts';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const log = logger(requestId(event));
  const app = await getApp(['ALIPAY_KEY']);
  const raw = rawQueryBytes(event);
  const receivedAt = app.now();
  const respond = (result: ReturnResult, outTradeNo?: string, order?: Order) => {
    if (app.config.returnResultUrl) {
      const url = new URL(app.config.returnResultUrl);
      if (outTradeNo) url.searchParams.set('outTradeNo', outTradeNo);
      url.searchParams.set('result', result);
      return redirect(url.toString());
    }
    const amountFen = order?.amountFen ?? order?.paidFen;
    return html(result === 'unverified' ? 400 : 200, renderReturnPage(result, { ...(outTradeNo ? { outTradeNo } : {}), ...(amountFen !== undefined ? { amountFen } : {}) }));
  };

  const received = receiveSigned(raw, app.config.key, app.config.charset, 'return', receivedAt);
  if (!received.ok) {
    log.warn('return rejected', { reason: received.reason, detail: received.detail });
    await keepRejected(app.store, raw, received, 'return', receivedAt, app.config.notificationRetentionDays).catch(() => undefined);
    return respond('unverified');
  }
  const { event: tradeEvent } = received;
  const outTradeNo = isOutTradeNo(tradeEvent.outTradeNo) ? tradeEvent.outTradeNo : undefined;
  let order: Order | undefined;
  try {
    // Fulfil from a return only when Alipay confirms its notify_id, which lives about a minute.
    if (returnIsFresh(received.message.fields.notify_time, receivedAt)) {
      const result = await processTradeEvent(app.processDeps, tradeEvent, raw, { verifyWithAlipay: true });
      if (result.outcome !== 'rejected') order = result.order;
      log.info(`return ${result.outcome}`, { outTradeNo, notifyId: tradeEvent.notifyId, ...(result.outcome === 'rejected' ? { reason: result.reason } : {}) });
    } else {
      log.info('return too old for notify_verify: showing the stored status', { outTradeNo });
    }
  } catch (err) {
    log.warn('return could not be applied; the async notify will', { outTradeNo, error: err instanceof Error ? err.message : String(err) });
  }
  order ??= outTradeNo ? await app.store.getOrder(outTradeNo).catch(() => undefined) : undefined;
  return respond(order ? resultFor(order) : 'waiting', outTradeNo, order);
}
