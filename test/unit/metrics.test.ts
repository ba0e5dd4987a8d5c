// The embedded metric format lines the handlers write: what CloudWatch needs to make a metric of them.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { countMetric, setMetricsWriter } from '../../shared/metrics.ts';

afterEach(() => setMetricsWriter(undefined));

describe('EMF metrics', () => {
  test('a count is one JSON line: namespace, the Stage dimension (and one more when given), the value under its name', () => {
    const lines: string[] = [];
    setMetricsWriter((l) => lines.push(l));
    process.env.STAGE = 'prod';
    countMetric('NotificationsRejected', 1, { name: 'Reason', value: 'notify_verify_false' });
    countMetric('EventsPublished', 3);
    countMetric('ReconcilePending', 0);
    delete process.env.STAGE;
    assert.equal(lines.length, 3, 'a zero is written too (an alarm on a minimum needs it)');
    const [rejected, published, pending] = lines.map((l) => JSON.parse(l));
    assert.equal(pending.ReconcilePending, 0);
    assert.deepEqual(rejected._aws.CloudWatchMetrics, [{ Namespace: 'AlipayServerless', Dimensions: [['Stage'], ['Stage', 'Reason']], Metrics: [{ Name: 'NotificationsRejected', Unit: 'Count' }] }]);
    assert.equal(typeof rejected._aws.Timestamp, 'number');
    assert.equal(rejected.Stage, 'prod');
    assert.equal(rejected.Reason, 'notify_verify_false');
    assert.equal(rejected.NotificationsRejected, 1);
    assert.deepEqual(published._aws.CloudWatchMetrics[0].Dimensions, [['Stage']]);
    assert.equal(published.EventsPublished, 3);
  });

  test('outside Lambda nothing is written unless EMF_METRICS=stdout', () => {
    const original = process.stdout.write;
    const seen: string[] = [];
    process.stdout.write = ((chunk: string) => (seen.push(chunk), true)) as typeof process.stdout.write;
    try {
      countMetric('NotifyAnswered');
      process.env.EMF_METRICS = 'stdout';
      countMetric('NotifyAnswered');
    } finally {
      delete process.env.EMF_METRICS;
      process.stdout.write = original;
    }
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /^\{"_aws":/);
  });
});
