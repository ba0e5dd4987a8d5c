// The Orders and Notifications tables as data: CreateTable input for tests and the local stack, and the source for CloudFormation.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';

/** Attribute names the indexes and TTL depend on. The rest of the item layout lives in dynamodb-payment-store.ts. */
export const ORDER_KEY = 'outTradeNo';
/** The Notifications table holds event records keyed by event id (a notify_id for notify and return). */
export const EVENT_KEY = 'eventId';
/** Sparse GSI: only orders still waiting for payment carry `awaitingPayment`, so reconciliation reads just those. */
export const AWAITING_PAYMENT_INDEX = 'awaiting-payment';
export const AWAITING_PAYMENT_ATTR = 'awaitingPayment';
export const AWAITING_PAYMENT_VALUE = 'Y';
export const CREATED_AT_ATTR = 'createdAt';
export const STATUS_ATTR = 'status';
/**
 * Every order by its status, newest first: the operator's listing (`alipay orders --status S`). One partition per
 * status is plenty for an operator's reads; a shop writing more than ~1,000 orders a second in one status would
 * want a sharded key here.
 */
export const BY_STATUS_INDEX = 'by-status';
/**
 * Sparse GSI key: only orders with anomalies recorded on them carry `hasAnomalies` (the store writes it from the
 * order), so `alipay orders --anomalies` reads just those.
 */
export const WITH_ANOMALIES_INDEX = 'with-anomalies';
export const HAS_ANOMALIES_ATTR = 'hasAnomalies';
export const HAS_ANOMALIES_VALUE = 'Y';
/** What a listing shows of an order, copied into the listing indexes (their own key attributes are always there). */
export const ORDER_SUMMARY_ATTRS = ['service', 'amountFen', 'paidFen', 'tradeNo', 'updatedAt', HAS_ANOMALIES_ATTR] as const;
export const NOTIFICATION_TTL_ATTR = 'expiresAt';
/** Event records by the order they are about, oldest first; records naming no order are not in it. */
export const BY_ORDER_INDEX = 'by-order';
export const RECEIVED_AT_ATTR = 'receivedAt';

export const ORDERS_STREAM = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } as const;

export interface TableNames {
  orders: string;
  notifications: string;
}

export function ordersTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: ORDER_KEY, AttributeType: 'S' },
      { AttributeName: AWAITING_PAYMENT_ATTR, AttributeType: 'S' },
      { AttributeName: CREATED_AT_ATTR, AttributeType: 'S' },
      { AttributeName: STATUS_ATTR, AttributeType: 'S' },
      { AttributeName: HAS_ANOMALIES_ATTR, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: ORDER_KEY, KeyType: 'HASH' }],
    // Every committed change, before and after: what publish-events turns into order events.
    StreamSpecification: ORDERS_STREAM,
    GlobalSecondaryIndexes: [
      {
        IndexName: AWAITING_PAYMENT_INDEX,
        KeySchema: [
          { AttributeName: AWAITING_PAYMENT_ATTR, KeyType: 'HASH' },
          { AttributeName: CREATED_AT_ATTR, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [STATUS_ATTR] },
      },
      {
        IndexName: BY_STATUS_INDEX,
        KeySchema: [
          { AttributeName: STATUS_ATTR, KeyType: 'HASH' },
          { AttributeName: CREATED_AT_ATTR, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...ORDER_SUMMARY_ATTRS] },
      },
      {
        IndexName: WITH_ANOMALIES_INDEX,
        KeySchema: [
          { AttributeName: HAS_ANOMALIES_ATTR, KeyType: 'HASH' },
          { AttributeName: CREATED_AT_ATTR, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [STATUS_ATTR, ...ORDER_SUMMARY_ATTRS.filter((a) => a !== HAS_ANOMALIES_ATTR)] },
      },
    ],
  };
}

export function notificationsTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: EVENT_KEY, AttributeType: 'S' },
      { AttributeName: ORDER_KEY, AttributeType: 'S' },
      { AttributeName: RECEIVED_AT_ATTR, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: EVENT_KEY, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: BY_ORDER_INDEX,
        KeySchema: [
          { AttributeName: ORDER_KEY, KeyType: 'HASH' },
          { AttributeName: RECEIVED_AT_ATTR, KeyType: 'RANGE' },
        ],
        // The raw bytes too: `alipay notifications` shows every message in one query.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Creates the tables when missing, adds the indexes an older table lacks, waits until ACTIVE, enables TTL on
 * Notifications. For tests and the local stack (whose data in .local/dynamodb may predate an index).
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all([
    ensureTable(client, ordersTableDefinition(names.orders)),
    ensureTable(client, notificationsTableDefinition(names.notifications)),
  ]);
  await ensureTtl(client, names.notifications, NOTIFICATION_TTL_ATTR);
}

async function ensureTable(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new CreateTableCommand(definition));
  } catch (err) {
    // Already there (or being created by someone else): the waiter below covers both.
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: definition.TableName });
  await ensureIndexes(client, definition);
  await ensureStream(client, definition);
}

/** Turns on the stream of a table made before it had one (the local stack's data in .local/dynamodb). */
async function ensureStream(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  if (!definition.StreamSpecification) return;
  const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(new UpdateTableCommand({ TableName: definition.TableName, StreamSpecification: definition.StreamSpecification }));
}

/** The ARN of the Orders table's stream (DynamoDB Local serves the Streams API at its own endpoint). */
export async function ordersStreamArn(client: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.LatestStreamArn) throw new Error(`table ${tableName} has no stream: create it with ensureTables`);
  return Table.LatestStreamArn;
}

/** Adds the global secondary indexes the table lacks, one at a time (DynamoDB creates one per UpdateTable). */
async function ensureIndexes(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  const existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (existing.has(index.IndexName)) continue;
    await client.send(new UpdateTableCommand({
      TableName: definition.TableName,
      AttributeDefinitions: definition.AttributeDefinitions,
      GlobalSecondaryIndexUpdates: [{ Create: index as Required<Pick<GlobalSecondaryIndex, 'IndexName' | 'KeySchema' | 'Projection'>> }],
    }));
    await waitUntilIndexActive(client, definition.TableName!, index.IndexName!);
  }
}

async function waitUntilIndexActive(client: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  // Far above what DynamoDB Local needs; a real table backfills an index in minutes or more (CloudFormation does that there).
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === indexName);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`index ${indexName} of table ${tableName} is still ${index?.IndexStatus ?? 'missing'} after 5 minutes`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function ensureTtl(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = current.TimeToLiveDescription?.TimeToLiveStatus;
  // Enabling twice is a ValidationException on the real service.
  if ((status === 'ENABLED' || status === 'ENABLING') && current.TimeToLiveDescription?.AttributeName === attribute) return;
  await client.send(new UpdateTimeToLiveCommand({
    TableName: tableName,
    TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
  }));
}
