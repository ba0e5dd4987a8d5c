// The EventBus port on Amazon EventBridge (PutEvents). Only publish-events imports this: it keeps the EventBridge
// client out of every other bundle.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { BusEntry, BusEntryResult, EventBus } from '../events/publish.ts';

export function eventBridgeBus(busName: string, env: NodeJS.ProcessEnv = process.env): EventBus {
  const client = new EventBridgeClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    // AWS_ENDPOINT_URL_EVENTBRIDGE (the SDK reads it itself) points the local stack and tests at a loopback bus;
    // credentials are only needed by AWS, which gives the function its role's.
    ...(env.AWS_ENDPOINT_URL_EVENTBRIDGE && !env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, region: env.AWS_REGION || 'us-east-1' }
      : {}),
  });
  return {
    async put(entries: readonly BusEntry[]): Promise<BusEntryResult[]> {
      const answer = await client.send(new PutEventsCommand({
        Entries: entries.map((e) => ({ EventBusName: busName, Source: e.source, DetailType: e.detailType, Detail: e.detail, Time: new Date(e.time) })),
      }));
      return entries.map((_, i) => {
        const r = answer.Entries?.[i];
        if (r?.EventId && !r.ErrorCode) return { ok: true };
        return { ok: false, code: r?.ErrorCode ?? 'NoEventId', message: r?.ErrorMessage ?? 'PutEvents gave this entry no id' };
      });
    },
  };
}
