// GET /alipay/return: the buyer's browser after paying. Verified like a notify; the async notify stays the source of truth.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getApp } from '../shared/app.ts';
import { rawQueryBytes, requestId } from '../shared/http/event.ts';
import { claimedOutTradeNo } from '../shared/alipay/receive.ts';
import { html, redirect } from '../shared/http/responses.ts';
import { renderReturnPage, resultFor, type ReturnResult } from '../shared/http/return-page.ts';
import { logger } from '../shared/log.ts';
import { flushMetrics } from '../shared/metrics.ts';
import { countOutcome } from '../shared/payments/outcome-metrics.ts';
import type { Order } from '../shared/orders/order.ts';
import { receiveTradeMessage } from '../shared/payments/receive.ts';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const log = logger(requestId(event));
  const app = await getApp(['ALIPAY_KEY']);
  const respond = (result: ReturnResult, outTradeNo?: string, order?: Order) => {
    flushMetrics();
    if (app.config.returnResultUrl) {
      const url = new URL(app.config.returnResultUrl);
      if (outTradeNo) url.searchParams.set('outTradeNo', outTradeNo);
      url.searchParams.set('result', result);
      return redirect(url.toString());
    }
    const amountFen = order?.amountFen ?? order?.paidFen;
    return html(result === 'unverified' ? 400 : 200, renderReturnPage(result, { ...(outTradeNo ? { outTradeNo } : {}), ...(amountFen !== undefined ? { amountFen } : {}) }));
  };

  let outTradeNo: string | undefined;
  let order: Order | undefined;
  try {
    const received = await receiveTradeMessage(app.receiveDeps, rawQueryBytes(event), 'return', app.deadline());
    if (received.kind === 'refused' || received.kind === 'unidentified') {
      log.warn('return refused', { reason: received.kind === 'refused' ? received.reason : 'unidentified', detail: received.detail });
      return respond('unverified', claimedOutTradeNo(rawQueryBytes(event)));
    }
    if (received.kind === 'refunds') return respond('unverified'); // a refund notification is never a return
    outTradeNo = received.event.outTradeNo;
    if (received.kind === 'unavailable') throw received.error;
    if (received.kind === 'too_old') {
      // Fulfil from a return only while Alipay can still confirm its notify_id, which lives about a minute.
      log.info('return too old for notify_verify: showing the stored status', { outTradeNo });
    } else {
      const { result } = received;
      // A duplicate's order may be the one read before a concurrent copy (a reload of this page) applied it: read again below.
      if (result.outcome !== 'rejected' && result.outcome !== 'duplicate') order = result.order;
      countOutcome(result);
      log.info(`return ${result.outcome}`, { outTradeNo, eventId: received.event.eventId, ...(result.outcome === 'rejected' ? { reason: result.reason } : {}) });
    }
  } catch (err) {
    log.warn('return could not be applied; the async notify will', { outTradeNo, error: err });
  }
  let unreadable = false;
  order ??= outTradeNo
    ? await app.store.getOrder(outTradeNo).catch((err: unknown) => {
      unreadable = true;
      log.warn('return could not read the order; the page says waiting', { outTradeNo, error: err });
      return undefined;
    })
    : undefined;
  // No order stored under a verified out_trade_no is an unknown order; one we could not read is still being waited on.
  return respond(order ? resultFor(order) : unreadable || !outTradeNo ? 'waiting' : 'unknown', outTradeNo, order);
}
