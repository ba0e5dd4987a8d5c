// The embedded metric format lines the handlers write: what CloudWatch needs to make a metric of them.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { countMetric, flushMetrics, setMetricsWriter } from '../../shared/metrics.ts';

afterEach(() => setMetricsWriter(undefined));

describe('EMF metrics', () => {
  test('counts wait for flushMetrics, then go out as one JSON line: namespace, Stage (and the count\'s dimension), each value under its name', () => {
    const lines: string[] = [];
    setMetricsWriter((l) => lines.push(l));
    process.env.STAGE = 'prod';
    countMetric('NotificationsRejected', 1, { name: 'Reason', value: 'notify_verify_false' });
    countMetric('EventsPublished', 3);
    countMetric('ReconcilePending', 0);
    assert.equal(lines.length, 0, 'nothing is written before the flush');
    flushMetrics();
    delete process.env.STAGE;
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!);
    assert.deepEqual(line._aws.CloudWatchMetrics, [
      { Namespace: 'AlipayServerless', Dimensions: [['Stage'], ['Stage', 'Reason']], Metrics: [{ Name: 'NotificationsRejected', Unit: 'Count' }] },
      { Namespace: 'AlipayServerless', Dimensions: [['Stage']], Metrics: [{ Name: 'EventsPublished', Unit: 'Count' }, { Name: 'ReconcilePending', Unit: 'Count' }] },
    ]);
    assert.equal(typeof line._aws.Timestamp, 'number');
    assert.equal(line.Stage, 'prod');
    assert.equal(line.Reason, 'notify_verify_false');
    assert.equal(line.NotificationsRejected, 1);
    assert.equal(line.EventsPublished, 3);
    assert.equal(line.ReconcilePending, 0, 'a zero is written too (an alarm on a minimum needs it)');
    flushMetrics();
    assert.equal(lines.length, 1, 'a flush with nothing counted writes nothing');
  });

  test('counts whose dimension values differ go in separate lines; the same metric and value are summed', () => {
    const lines: string[] = [];
    setMetricsWriter((l) => lines.push(l));
    countMetric('NotifyVerifyAnswers', 1, { name: 'Answer', value: 'true' });
    countMetric('NotificationsRejected', 1, { name: 'Reason', value: 'a' });
    countMetric('NotifyFailed', 1, { name: 'Reason', value: 'b' });
    countMetric('NotificationsRejected', 2, { name: 'Reason', value: 'a' });
    countMetric('NotificationsRejected', 1, { name: 'Reason', value: 'c' });
    countMetric('NotifyAnswered');
    flushMetrics();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // Every count is in exactly one line, with its own dimension value there.
    const found = parsed.flatMap((p) => ['NotifyVerifyAnswers', 'NotificationsRejected', 'NotifyFailed', 'NotifyAnswered']
      .filter((m) => m in p).map((m) => `${m}=${String(p[m])}${m === 'NotifyVerifyAnswers' ? ` Answer=${String(p.Answer)}` : m === 'NotifyAnswered' ? '' : ` Reason=${String(p.Reason)}`}`)).sort();
    assert.deepEqual(found, ['NotificationsRejected=1 Reason=c', 'NotificationsRejected=3 Reason=a', 'NotifyAnswered=1', 'NotifyFailed=1 Reason=b', 'NotifyVerifyAnswers=1 Answer=true']);
    assert.equal(lines.length, 3, 'Reason a, b and c cannot share a line');
  });

  test('counts nobody flushed are written on the next turn of the event loop', async () => {
    const lines: string[] = [];
    setMetricsWriter((l) => lines.push(l));
    countMetric('EventsFailed', 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, 1);
    assert.equal(JSON.parse(lines[0]!).EventsFailed, 2);
  });

  test('outside Lambda nothing is written unless EMF_METRICS=stdout', () => {
    const original = process.stdout.write;
    const seen: string[] = [];
    process.stdout.write = ((chunk: string) => (seen.push(chunk), true)) as typeof process.stdout.write;
    try {
      countMetric('NotifyAnswered');
      flushMetrics();
      process.env.EMF_METRICS = 'stdout';
      countMetric('NotifyAnswered');
      flushMetrics();
    } finally {
      delete process.env.EMF_METRICS;
      process.stdout.write = original;
    }
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /^\{"_aws":/);
  });
});
