// One test file's app: its own tables on DynamoDB Local, a fake Alipay gateway, and process.env the way a deployment sets it.
import { after, before } from 'node:test';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { resetApp } from '../../shared/app.ts';
import type { Order } from '../../shared/orders/order.ts';
import { DynamoDbPaymentStore } from '../../shared/store/dynamodb-payment-store.ts';
import { ensureTables, type TableNames } from '../../shared/store/tables.ts';
import { TEST_KEY, TEST_PARTNER } from './alipay-messages.ts';
import { testDynamoClient, uniqueTableName } from './dynamodb.ts';
import { type FakeGateway, startFakeGateway } from './fake-gateway.ts';

export const STOREFRONT_TOKEN = 'storefront-test-token-0123456789';

/**
 * Timeouts far beyond what a busy machine needs (CI may run on one: every core taken, stalls of seconds). A test of
 * a timeout sets a short one itself and injects what never answers; no other test may depend on an idle machine.
 */
export const GENEROUS_BUDGETS = {
  HANDLER_DEADLINE_MS: '60000',
  NOTIFY_VERIFY_TIMEOUT_MS: '30000',
  DYNAMODB_REQUEST_TIMEOUT_MS: '20000',
} as const;
export const PUBLIC_BASE_URL = 'https://shop.example.com';

/** Variables this module owns; anything not given is removed, so one file's settings never leak into a case. */
const OWNED = [
  'ALIPAY_PARTNER', 'ALIPAY_KEY', 'ALIPAY_KEY_PARAMETER', 'ALIPAY_SELLER_ID', 'ALIPAY_CHARSET', 'ALIPAY_GATEWAY_URL',
  'PUBLIC_BASE_URL', 'RETURN_RESULT_URL', 'STOREFRONT_TOKEN', 'STOREFRONT_TOKEN_PARAMETER', 'ORDERS_TABLE',
  'NOTIFICATIONS_TABLE', 'NOTIFY_VERIFY_TIMEOUT_MS', 'NOTIFICATION_RETENTION_DAYS', 'HANDLER_DEADLINE_MS', 'DYNAMODB_REQUEST_TIMEOUT_MS',
  'RECONCILE_MIN_AGE_MINUTES', 'RECONCILE_CLOSE_AFTER_MINUTES', 'RECONCILE_MAX_ORDERS', 'ALIPAY_REFUND_MODE',
] as const;

/** A stored notification item as the tests inspect it (rejected ones carry `claimedNotifyId`). */
export type NotificationItem = Record<string, unknown> & { notifyId: string; outcome: string; claimedNotifyId?: string };

export interface TestApp {
  tables: TableNames;
  gateway: FakeGateway;
  /** The same store implementation the handlers use, for looking at what they wrote. */
  store: DynamoDbPaymentStore;
  client: DynamoDBClient;
  /** The environment of every case in this file (DYNAMODB_ENDPOINT excepted, which test/run.ts sets). */
  env: Record<string, string>;
  /** Changes variables (undefined removes one) and forgets the cached app, as a new cold start would. */
  setEnv(vars: Record<string, string | undefined>): void;
  getOrder(outTradeNo: string): Promise<Order | undefined>;
  /** Moves an order's creation time `minutes` into the past, as if it had been waiting that long. */
  ageOrder(outTradeNo: string, minutes: number): Promise<void>;
  /** Every item of the Notifications table, optionally only those about one notify_id (recorded or rejected). */
  notifications(notifyId?: string): Promise<NotificationItem[]>;
  close(): Promise<void>;
}

export async function setUpApp(extraEnv: Record<string, string | undefined> = {}): Promise<TestApp> {
  const client = testDynamoClient();
  const tables = { orders: uniqueTableName('it-orders'), notifications: uniqueTableName('it-notifications') };
  const [gateway] = await Promise.all([startFakeGateway(), ensureTables(client, tables)]);
  const doc = DynamoDBDocumentClient.from(client);

  const env: Record<string, string> = {
    ALIPAY_PARTNER: TEST_PARTNER,
    ALIPAY_KEY: TEST_KEY,
    STOREFRONT_TOKEN,
    PUBLIC_BASE_URL,
    ALIPAY_GATEWAY_URL: gateway.url,
    ...GENEROUS_BUDGETS,
    ORDERS_TABLE: tables.orders,
    NOTIFICATIONS_TABLE: tables.notifications,
  };
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetApp();
  };
  setEnv({ ...Object.fromEntries(OWNED.map((name) => [name, undefined])), ...env, ...extraEnv });

  const store = new DynamoDbPaymentStore(client, tables);
  return {
    tables, gateway, store, client, env, setEnv,
    getOrder: (outTradeNo) => store.getOrder(outTradeNo),
    async ageOrder(outTradeNo, minutes) {
      const createdAt = new Date(Date.now() - minutes * 60_000).toISOString();
      await doc.send(new UpdateCommand({
        TableName: tables.orders, Key: { outTradeNo }, UpdateExpression: 'SET createdAt = :c', ExpressionAttributeValues: { ':c': createdAt },
        ConditionExpression: 'attribute_exists(outTradeNo)',
      }));
    },
    async notifications(notifyId) {
      const items: NotificationItem[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: tables.notifications, ConsistentRead: true, ExclusiveStartKey: start }));
        items.push(...((page.Items ?? []) as NotificationItem[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return notifyId === undefined ? items : items.filter((i) => i.notifyId === notifyId || i.claimedNotifyId === notifyId);
    },
    async close() {
      await gateway.stop();
      await Promise.all([tables.orders, tables.notifications].map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
      client.destroy();
      resetApp();
    },
  };
}

/**
 * Keeps the handlers' JSON log lines out of the test report (TEST_LOGS=1 shows them) and collects them,
 * so a test can also check what was logged.
 */
export function captureLogs(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  const show = process.env.TEST_LOGS === '1';
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"time":')) {
      lines.push(chunk);
      if (!show) {
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return { lines, restore: () => void (process.stdout.write = original) };
}

/**
 * The usual frame of an integration test file: logs captured, an app set up before the first case and closed after
 * the last. The app only exists once `before` has run, so the returned stand-in forwards to it when used.
 */
export function useTestApp(extraEnv: Record<string, string | undefined> = {}): { app: TestApp; logs: ReturnType<typeof captureLogs> } {
  const logs = captureLogs();
  let current: TestApp | undefined;
  before(async () => {
    current = await setUpApp(extraEnv);
  });
  after(async () => {
    await current?.close();
    logs.restore();
  });
  const app = new Proxy({} as TestApp, {
    get(_target, prop) {
      if (!current) throw new Error('useTestApp: the app is set up in before(); use it inside a test');
      return Reflect.get(current, prop);
    },
  });
  return { app, logs };
}
