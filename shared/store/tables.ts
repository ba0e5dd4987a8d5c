// The Orders and Notifications tables as data: CreateTable input for tests and the local stack, and the source for CloudFormation.
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
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
export const NOTIFICATION_TTL_ATTR = 'expiresAt';

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
    ],
    KeySchema: [{ AttributeName: ORDER_KEY, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: AWAITING_PAYMENT_INDEX,
        KeySchema: [
          { AttributeName: AWAITING_PAYMENT_ATTR, KeyType: 'HASH' },
          { AttributeName: CREATED_AT_ATTR, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [STATUS_ATTR] },
      },
    ],
  };
}

export function notificationsTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: EVENT_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: EVENT_KEY, KeyType: 'HASH' }],
  };
}

/** Creates the tables when missing, waits until ACTIVE, enables TTL on Notifications. For tests and the local stack. */
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
