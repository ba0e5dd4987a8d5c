// Orders table stream -> order events on the stage's EventBridge bus. A record whose events cannot all be put is
// reported (ReportBatchItemFailures): the stream retries from it, and after maximumRetryAttempts it goes to the
// on-failure queue. Event ids are deterministic, so a retried record repeats ids a consumer already knows.
import { randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeBus } from '../shared/bus/eventbridge.ts';
import { type EventBus, publishStreamBatch } from '../shared/events/publish.ts';
import { logger } from '../shared/log.ts';
import { countMetric, flushMetrics } from '../shared/metrics.ts';
import { orderChangeOf } from '../shared/store/order-stream.ts';

export const DEFAULT_EVENT_SOURCE = 'alipay-serverless';

let bus: EventBus | undefined;

/** The bus of this cold start, from EVENT_BUS_NAME. */
function busOf(env: NodeJS.ProcessEnv): EventBus {
  const name = env.EVENT_BUS_NAME?.trim();
  if (!name) throw new Error('configuration: EVENT_BUS_NAME is not set: give publish-events the name of the stage\'s event bus');
  return (bus ??= eventBridgeBus(name, env));
}

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const log = logger(`publish-${randomUUID()}`);
  const outcome = await publishStreamBatch(event.Records, {
    bus: busOf(process.env),
    source: process.env.EVENT_SOURCE?.trim() || DEFAULT_EVENT_SOURCE,
    attempts: 3,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    changeOf: orderChangeOf,
  });
  countMetric('EventsPublished', outcome.published);
  countMetric('EventsFailed', outcome.failed.length);
  if (outcome.anomalies > 0) countMetric('OrderAnomalies', outcome.anomalies);
  flushMetrics();
  for (const f of outcome.failed) log.error('event not published', f);
  for (const u of outcome.unreadable) log.error('stream record unreadable', u);
  log.info('events published', { records: event.Records.length, published: outcome.published, failed: outcome.failed.length, retryFrom: outcome.batchItemFailures[0]?.itemIdentifier });
  return { batchItemFailures: outcome.batchItemFailures };
}

/** Tests and the local stack point the handler at another bus between runs. */
export function resetPublisher(): void {
  bus = undefined;
}
