// What happened to a received event, as a metric (shared by notify and return).
import { countMetric, type MetricName } from '../metrics.ts';
import type { ProcessResult } from './process-event.ts';

const NAMES: Record<ProcessResult['outcome'], MetricName> = {
  applied: 'NotificationsApplied',
  duplicate: 'NotificationsDuplicate',
  stale: 'NotificationsStale',
  anomaly: 'NotificationsAnomaly',
  rejected: 'NotificationsRejected',
};

export function countOutcome(result: { outcome: ProcessResult['outcome']; reason?: string }): void {
  countMetric(NAMES[result.outcome], 1, result.outcome === 'rejected' ? { name: 'Reason', value: result.reason ?? 'unknown' } : undefined);
}
