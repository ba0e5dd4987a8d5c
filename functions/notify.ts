// POST /alipay/notify: Alipay's async notification. Answers exactly "success" or "fail" (so Alipay retries).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getApp } from '../shared/app.ts';
import { bodyBytes, requestId } from '../shared/http/event.ts';
import { text } from '../shared/http/responses.ts';
import { logger } from '../shared/log.ts';
import { processTradeEvent } from '../shared/payments/process-event.ts';
import { keepRejected, receiveSigned } from '../shared/payments/receive.ts';

export const MAX_NOTIFY_BYTES = 16 * 1024;

const answer = (body: 'success' | 'fail'): APIGatewayProxyStructuredResultV2 => text(200, body);

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const log = logger(requestId(event));
  try {
    const app = await getApp(['ALIPAY_KEY']);
    const raw = bodyBytes(event);
    if (raw.length > MAX_NOTIFY_BYTES) {
      log.warn('notify refused: body too large', { bytes: raw.length });
      return answer('fail');
    }
    const receivedAt = app.now();
    const received = receiveSigned(raw, app.config.key, app.config.charset, 'notify', receivedAt);
    if (!received.ok) {
      log.warn('notify rejected', { reason: received.reason, detail: received.detail, notifyId: received.message?.fields.notify_id });
      await keepRejected(app.store, raw, received, 'notify', receivedAt, app.config.notificationRetentionDays);
      return answer('fail');
    }
    const result = await processTradeEvent(app.processDeps, received.event, raw, { verifyWithAlipay: true });
    const fields = { notifyId: received.event.notifyId, outTradeNo: received.event.outTradeNo, tradeStatus: received.event.tradeStatus, charset: received.message.charset };
    if (result.outcome === 'rejected') {
      log.warn('notify rejected by notify_verify', { ...fields, reason: result.reason });
      return answer('fail');
    }
    log.info(`notify ${result.outcome}`, { ...fields, ...(result.detail ? { detail: result.detail } : {}) });
    return answer('success');
  } catch (err) {
    // Transient trouble (DynamoDB, notify_verify timeout) or a bug: nothing was half-written; Alipay will retry.
    log.error('notify failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), transient: (err as { transient?: boolean })?.transient === true });
    return answer('fail');
  }
}
