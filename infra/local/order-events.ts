// Order events in the local stack, the way AWS runs them: the Orders stream of DynamoDB Local polled into the same
// publish-events handler, whose real EventBridge client puts on a loopback bus; the bus's "rule" delivers each event
// to the demo shop's webhook as an API destination would.
import { handler as publishEvents, resetPublisher } from '../../functions/publish-events.ts';
import { ordersStreamArn } from '../../shared/store/tables.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { connectApiDestination } from './api-destination.ts';
import { LocalEventBus } from './event-bus.ts';
import { OrdersStreamPoller, OrdersStreamReader } from './orders-stream.ts';
import { shopWebhook, type ShopWebhook } from './shop-webhook.ts';

/** The demo shop's webhook key: local only, not a secret. */
export const LOCAL_WEBHOOK_KEY = 'local-demo-webhook-key-not-secret';

export interface LocalOrderEvents {
  bus: LocalEventBus;
  shop: ShopWebhook;
  stop(): Promise<void>;
}

export async function startOrderEvents(opts: { dynamodbEndpoint: string; ordersTable: string; webhookUrl: string; log?: (line: string) => void }): Promise<LocalOrderEvents> {
  const bus = await new LocalEventBus().start();
  Object.assign(process.env, { EVENT_BUS_NAME: 'alipay-serverless-local', AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url });
  resetPublisher();
  const shop = shopWebhook(LOCAL_WEBHOOK_KEY);
  const destination = connectApiDestination(bus, { url: opts.webhookUrl, apiKey: LOCAL_WEBHOOK_KEY, log: opts.log });
  const arn = await ordersStreamArn(createDynamoClient({ DYNAMODB_ENDPOINT: opts.dynamodbEndpoint }), opts.ordersTable);
  const reader = await new OrdersStreamReader(opts.dynamodbEndpoint, arn, 'LATEST').open();
  const poller = new OrdersStreamPoller(reader, publishEvents, {
    // Never silent: a poll that keeps failing is why events stop reaching the shop.
    onError: (err) => (opts.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(`orders stream: ${err instanceof Error ? err.message : String(err)}`),
  }).start();
  return {
    bus,
    shop,
    async stop() {
      await poller.stop();
      await destination.idle();
      await bus.stop();
    },
  };
}
