// CloudWatch metrics in the embedded metric format (EMF): JSON lines on stdout, which CloudWatch Logs turns into
// metrics in namespace AlipayServerless with dimension Stage (and, where given, one more dimension). Counts wait until
// the handler answers and go out together, as few lines as their dimension values allow (one per notification).
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

interface Count {
  name: MetricName;
  value: number;
  dimension?: { name: string; value: string };
}

/** Counts not written yet; flushMetrics() writes them (and, in case a caller forgets, the next turn of the event loop). */
const pending: Count[] = [];
let flushSoon: NodeJS.Immediate | undefined;

/**
 * Counts `value` of `name`. With `dimension`, the metric is also kept per that dimension's value (a reason, an
 * answer), beside the total per stage that the alarms read. Written by the next flushMetrics().
 */
export function countMetric(name: MetricName, value = 1, dimension?: { name: string; value: string }): void {
  // Whether metrics are written at all is read once, at the flush: process.env is slow to read on every count.
  pending.push(dimension ? { name, value, dimension: { name: dimension.name, value: dimension.value.slice(0, 64) } } : { name, value });
  flushSoon ??= setImmediate(flushMetrics).unref();
}

/**
 * Writes the counts waiting, summed per metric and dimension value. A line holds every count whose dimension values
 * agree (EMF takes one value per dimension name in a line); handlers call this before they answer.
 */
export function flushMetrics(): void {
  if (flushSoon) clearImmediate(flushSoon);
  flushSoon = undefined;
  const out = writer();
  const counts = pending.splice(0);
  if (!out || counts.length === 0) return;
  const lines: { dimensions: Map<string, string>; counts: Count[] }[] = [];
  for (const c of counts) {
    const same = (k: Count) => k.name === c.name && k.dimension?.name === c.dimension?.name && k.dimension?.value === c.dimension?.value;
    const fits = (line: (typeof lines)[number]) =>
      line.counts.some(same) || (!line.counts.some((k) => k.name === c.name) && (!c.dimension || (line.dimensions.get(c.dimension.name) ?? c.dimension.value) === c.dimension.value));
    let line = lines.find(fits);
    if (!line) lines.push((line = { dimensions: new Map(), counts: [] }));
    const known = line.counts.find(same);
    if (known) known.value += c.value;
    else line.counts.push({ ...c });
    if (c.dimension) line.dimensions.set(c.dimension.name, c.dimension.value);
  }
  const stage = process.env.STAGE || 'local';
  const timestamp = Date.now();
  for (const line of lines) {
    // One directive per dimension set: the metrics counted per stage only, and those also kept per a dimension.
    const directives = new Map<string, { Namespace: string; Dimensions: string[][]; Metrics: { Name: MetricName; Unit: 'Count' }[] }>();
    const root: Record<string, unknown> = { Stage: stage };
    for (const c of line.counts) {
      const key = c.dimension?.name ?? '';
      let directive = directives.get(key);
      if (!directive) directives.set(key, (directive = { Namespace: METRICS_NAMESPACE, Dimensions: c.dimension ? [['Stage'], ['Stage', c.dimension.name]] : [['Stage']], Metrics: [] }));
      directive.Metrics.push({ Name: c.name, Unit: 'Count' });
      if (c.dimension) root[c.dimension.name] = c.dimension.value;
      root[c.name] = c.value;
    }
    out(JSON.stringify({ _aws: { Timestamp: timestamp, CloudWatchMetrics: [...directives.values()] }, ...root }));
  }
}
