// POST /alipay/notify: Alipay's async notification. Answers exactly "success" or "fail" (so Alipay retries).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getApp } from '../shared/app.ts';
import { bodyBytes, requestId } from '../shared/http/event.ts';
import { text } from '../shared/http/responses.ts';
import { logger } from '../shared/log.ts';
import { countMetric, flushMetrics } from '../shared/metrics.ts';
import { countOutcome } from '../shared/payments/outcome-metrics.ts';
import { receiveTradeMessage } from '../shared/payments/receive.ts';

export const MAX_NOTIFY_BYTES = 16 * 1024;

/** The answer to Alipay, counted: the `fail` rate is an alarm (infra/alarms.yml). */
function answer(body: 'success' | 'fail', failReason?: string): APIGatewayProxyStructuredResultV2 {
  countMetric('NotifyAnswered');
  if (body === 'fail') countMetric('NotifyFailed', 1, { name: 'Reason', value: failReason ?? 'unknown' });
  flushMetrics(); // this request's counts, as one line where their dimensions allow
  return text(200, body);
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const log = logger(requestId(event));
  try {
    const app = await getApp(['ALIPAY_KEY']);
    const raw = bodyBytes(event);
    if (raw.length > MAX_NOTIFY_BYTES) {
      log.warn('notify refused: body too large', { bytes: raw.length });
      countMetric('NotificationsRefused', 1, { name: 'Reason', value: 'too_large' });
      return answer('fail', 'too_large');
    }
    const received = await receiveTradeMessage(app.receiveDeps, raw, 'notify', app.deadline());
    switch (received.kind) {
      case 'refused': // not signed with our key: nothing was written
        log.warn('notify refused', { reason: received.reason, detail: received.detail, bytes: raw.length });
        countMetric('NotificationsRefused', 1, { name: 'Reason', value: received.reason });
        return answer('fail', 'refused');
      case 'unidentified': // signed, but no trade of ours: recorded as an anomaly; answered so Alipay stops resending
        log.warn('notify recorded as an anomaly', { detail: received.detail });
        countOutcome({ outcome: 'anomaly' });
        return answer('success');
      case 'too_old':
        return answer('fail', 'too_old'); // never for a notify: its notify_id lives until answered
      case 'unavailable': {
        const failed = failure(received.error);
        log.error('notify failed', { outTradeNo: received.event.outTradeNo, eventId: received.event.eventId, ...failed });
        return answer('fail', failed.transient ? 'transient' : 'error');
      }
      case 'refunds': {
        for (const r of received.results) countOutcome(r);
        const rejected = received.results.find((r) => r.outcome === 'rejected');
        if (rejected) {
          log.warn('refund notify rejected by notify_verify', { batchNo: received.batchNo, reason: rejected.outcome === 'rejected' ? rejected.reason : '' });
          return answer('fail', 'rejected');
        }
        log.info('refund notify', { batchNo: received.batchNo, outcomes: received.results.map((r) => r.outcome).join(',') });
        return answer('success');
      }
      case 'processed': {
        const { event: e, result } = received;
        const fields = { eventId: e.eventId, outTradeNo: e.outTradeNo, tradeStatus: e.tradeStatus, charset: received.charset };
        countOutcome(result);
        if (result.outcome === 'rejected') {
          log.warn('notify rejected by notify_verify', { ...fields, reason: result.reason });
          return answer('fail', 'rejected');
        }
        log.info(`notify ${result.outcome}`, { ...fields, ...(result.detail ? { detail: result.detail } : {}) });
        return answer('success');
      }
    }
  } catch (err) {
    // Transient trouble (DynamoDB, notify_verify, the deadline) or a bug: nothing was half-written; Alipay will retry.
    const failed = failure(err);
    log.error('notify failed', failed);
    return answer('fail', failed.transient ? 'transient' : 'error');
  }
}

/** What is logged of passing trouble (DynamoDB, notify_verify, the deadline) or a bug: nothing was half-written. */
// The logger writes an Error as its bounded `Name: message` (shared/log.ts), so the error itself is passed.
function failure(err: unknown): { error: unknown; transient: boolean } {
  return { error: err, transient: (err as { transient?: boolean })?.transient === true };
}
