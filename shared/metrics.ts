// CloudWatch metrics in the embedded metric format (EMF): one JSON line on stdout per count, which CloudWatch Logs
// turns into metrics in namespace AlipayServerless with dimension Stage (and, where given, one more dimension).
// Written directly: the format is one small JSON object, and a library (aws-embedded-metrics, Powertools Metrics)
// would add its own dependencies and flush machinery to every bundle for what these dozen lines do.
export const METRICS_NAMESPACE = 'AlipayServerless';

export type MetricName =
  | 'NotificationsApplied' | 'NotificationsDuplicate' | 'NotificationsStale' | 'NotificationsAnomaly' | 'NotificationsRejected'
  | 'NotificationsRefused' // not signed with our key (nothing stored)
  | 'NotifyAnswered' | 'NotifyFailed' // every answer to Alipay's notify, and those that were `fail`
  | 'NotifyVerifyAnswers'
  | 'ReconcileChecked' | 'ReconcileAdvanced' | 'ReconcileClosed' | 'ReconcileUnchanged' | 'ReconcileErrors' | 'ReconcilePending'
  | 'EventsPublished' | 'EventsFailed' | 'OrderAnomalies';

/** Where lines go: stdout in Lambda (CloudWatch Logs reads it); nowhere elsewhere unless EMF_METRICS=stdout. */
let write: ((line: string) => void) | undefined;

function writer(): ((line: string) => void) | undefined {
  if (write) return write;
  const on = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined || process.env.EMF_METRICS === 'stdout';
  return on ? (line) => process.stdout.write(line + '\n') : undefined;
}

/** Tests and tools read the lines instead (undefined: back to the default). */
export function setMetricsWriter(w: ((line: string) => void) | undefined): void {
  write = w;
}

/**
 * Counts `value` of `name`. With `dimension`, the metric is also kept per that dimension's value (a reason, an
 * answer), beside the total per stage that the alarms read.
 */
export function countMetric(name: MetricName, value = 1, dimension?: { name: string; value: string }): void {
  const out = writer();
  if (!out) return;
  const stage = process.env.STAGE || 'local';
  const dimensions = dimension ? [['Stage'], ['Stage', dimension.name]] : [['Stage']];
  out(JSON.stringify({
    _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: dimensions, Metrics: [{ Name: name, Unit: 'Count' }] }] },
    Stage: stage,
    ...(dimension ? { [dimension.name]: dimension.value.slice(0, 64) } : {}),
    [name]: value,
  }));
}
