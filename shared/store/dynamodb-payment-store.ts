// The PaymentStore port on DynamoDB: conditional writes and one transaction per event, failures mapped to typed outcomes.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Order } from '../orders/order.ts';
import {
  StoreUnavailableError,
  type CallOptions,
  type CommitInput,
  type CommitResult,
  type AwaitingPage,
  type CreateOrderResult,
  type EventRecord,
  type EventRecordPage,
  type OrderPage,
  type OrderQuery,
  type PageCursor,
  type PaymentStore,
} from '../payments/store-port.ts';
import { cancellationCodes, errorName, storeError } from './errors.ts';
import { orderFromItem, orderToItem, recordFromItem, recordToItem, type Item } from './items.ts';
import { listOrders } from './order-listing.ts';
import {
  AWAITING_PAYMENT_ATTR, AWAITING_PAYMENT_INDEX, AWAITING_PAYMENT_VALUE, BY_ORDER_INDEX, CREATED_AT_ATTR, EVENT_KEY, ORDER_KEY, type TableNames,
} from './tables.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** BatchGet retries of UnprocessedKeys (each one more round trip); they are rare for two small items. */
const UNPROCESSED_RETRIES = 3;
const UNPROCESSED_BACKOFF_MS = 25;

export class DynamoDbPaymentStore implements PaymentStore {
  private readonly doc: DynamoDBDocumentClient;

  /** A document client given here must have `removeUndefinedValues` on and plain numbers (no `wrapNumbers`). */
  constructor(client: DynamoDBClient | DynamoDBDocumentClient, private readonly tables: TableNames) {
    if (client instanceof DynamoDBDocumentClient) {
      const translate = client.config.translateConfig;
      if (!translate?.marshallOptions?.removeUndefinedValues || translate.unmarshallOptions?.wrapNumbers) {
        throw new Error('DynamoDbPaymentStore: the document client needs marshallOptions.removeUndefinedValues = true and no unmarshallOptions.wrapNumbers (or pass a DynamoDBClient)');
      }
      this.doc = client;
    } else {
      this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    }
  }

  async createOrder(order: Order, opts: CallOptions = {}): Promise<CreateOrderResult> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tables.orders,
        Item: orderToItem({ order, awaitingPayment: true }),
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': ORDER_KEY },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }), sendOptions(opts));
      return { created: true };
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') throw storeError(err, 'PutItem (order)');
      // The error carries the existing item in AttributeValue form (lib-dynamodb does not translate errors).
      const old = (err as { Item?: Parameters<typeof unmarshall>[0] }).Item;
      const existing = old ? orderFromItem(unmarshall(old)) : await this.getOrder(order.outTradeNo, opts);
      if (!existing) throw new Error(`order ${order.outTradeNo} exists but could not be read back`);
      return { created: false, existing };
    }
  }

  async getOrder(outTradeNo: string, opts: CallOptions = {}): Promise<Order | undefined> {
    try {
      const out = await this.doc.send(new GetCommand({
        TableName: this.tables.orders,
        Key: { [ORDER_KEY]: outTradeNo },
        ConsistentRead: true,
      }), sendOptions(opts));
      return out.Item ? orderFromItem(out.Item) : undefined;
    } catch (err) {
      throw storeError(err, 'GetItem (order)');
    }
  }

  async readForEvent(outTradeNo: string | undefined, eventId: string, opts: CallOptions = {}): Promise<{ order?: Order; record?: EventRecord }> {
    let request: BatchGetCommandInput['RequestItems'] = {
      ...(outTradeNo === undefined ? {} : { [this.tables.orders]: { Keys: [{ [ORDER_KEY]: outTradeNo }], ConsistentRead: true } }),
      [this.tables.notifications]: { Keys: [{ [EVENT_KEY]: eventId }], ConsistentRead: true },
    };
    const found: Record<string, Item[]> = {};
    for (let attempt = 0; ; attempt++) {
      let out: BatchGetCommandOutput;
      try {
        out = await this.doc.send(new BatchGetCommand({ RequestItems: request }), sendOptions(opts));
      } catch (err) {
        throw storeError(err, 'BatchGetItem');
      }
      for (const [table, items] of Object.entries(out.Responses ?? {})) (found[table] ??= []).push(...items);
      const unprocessed = out.UnprocessedKeys ?? {};
      if (Object.keys(unprocessed).length === 0) break;
      if (attempt >= UNPROCESSED_RETRIES) {
        throw new StoreUnavailableError(`DynamoDB BatchGetItem left keys unprocessed after ${attempt + 1} attempts; try again`);
      }
      request = unprocessed;
      await sleep(UNPROCESSED_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random()));
    }
    const orderItem = found[this.tables.orders]?.[0];
    const recordItem = found[this.tables.notifications]?.[0];
    return {
      ...(orderItem ? { order: orderFromItem(orderItem) } : {}),
      ...(recordItem ? { record: recordFromItem(recordItem) } : {}),
    };
  }

  async commitEvent({ record, expectedVersion, next }: CommitInput, opts: CallOptions = {}): Promise<CommitResult> {
    const items: TransactItem[] = [{
      Put: {
        TableName: this.tables.notifications,
        Item: recordToItem(record),
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': EVENT_KEY },
      },
    }];
    if (next) {
      if (expectedVersion === undefined || next.order.version !== expectedVersion + 1) {
        throw new Error(`commitEvent: the next order must be version expectedVersion + 1 (got ${next.order.version} after ${expectedVersion})`);
      }
      // The whole order as decided, written only over the version the decision was made on.
      items.push({
        Put: {
          TableName: this.tables.orders,
          Item: orderToItem(next),
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        },
      });
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }), sendOptions(opts));
      return 'committed';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (!codes) throw storeError(err, 'TransactWriteItems');
      // The record first: if it is there, this event was handled, whatever happened to the order.
      if (codes[0] === 'ConditionalCheckFailed') return 'event_exists';
      if (codes[1] === 'ConditionalCheckFailed') return 'order_changed';
      if (codes.includes('ValidationError')) throw err; // our request is wrong; retrying will not help
      throw new StoreUnavailableError(`DynamoDB TransactWriteItems was cancelled (${codes.join(', ')}); try again`, err);
    }
  }

  async recordRejected(record: EventRecord, opts: CallOptions = {}): Promise<void> {
    // Its own key, so a disowned message never occupies (or is blocked by) the event id of the real one.
    const key = `rejected#${record.eventId}#${record.receivedAt}#${randomBytes(6).toString('hex')}`;
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tables.notifications,
        Item: { ...recordToItem(record), [EVENT_KEY]: key, claimedEventId: record.eventId, rejected: true },
      }), sendOptions(opts));
    } catch (err) {
      throw storeError(err, 'PutItem (rejected event)');
    }
  }

  async listAwaitingPayment(query: { createdBefore: string; createdAfter?: string; limit: number; after?: PageCursor }, opts: CallOptions = {}): Promise<AwaitingPage> {
    const { createdAfter } = query;
    // One range on the sort key: BETWEEN is inclusive, so its upper end is the last millisecond before createdBefore.
    const lastBefore = createdAfter === undefined ? undefined : new Date(Date.parse(query.createdBefore) - 1).toISOString();
    if (createdAfter !== undefined && createdAfter > lastBefore!) return { orders: [] };
    try {
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tables.orders,
        IndexName: AWAITING_PAYMENT_INDEX,
        KeyConditionExpression: createdAfter === undefined ? '#pending = :y AND #created < :before' : '#pending = :y AND #created BETWEEN :after AND :before',
        ExpressionAttributeNames: { '#pending': AWAITING_PAYMENT_ATTR, '#created': CREATED_AT_ATTR },
        ExpressionAttributeValues: { ':y': AWAITING_PAYMENT_VALUE, ...(createdAfter === undefined ? { ':before': query.createdBefore } : { ':after': createdAfter, ':before': lastBefore }) },
        Limit: query.limit,
        ...(query.after ? { ExclusiveStartKey: { ...query.after } } : {}),
      }), sendOptions(opts));
      return {
        orders: (out.Items ?? []).map((i) => ({ outTradeNo: String(i[ORDER_KEY]), createdAt: String(i[CREATED_AT_ATTR]) })),
        ...(out.LastEvaluatedKey ? { next: stringCursor(out.LastEvaluatedKey) } : {}),
      };
    } catch (err) {
      throw storeError(err, 'Query (awaiting payment)');
    }
  }

  listOrders(query: OrderQuery, opts: CallOptions = {}): Promise<OrderPage> {
    return listOrders(this.doc, this.tables.orders, query, opts);
  }

  async listEventRecords(outTradeNo: string, query: { limit: number; cursor?: PageCursor }, opts: CallOptions = {}): Promise<EventRecordPage> {
    try {
      const out = await this.doc.send(new QueryCommand({
        TableName: this.tables.notifications,
        IndexName: BY_ORDER_INDEX,
        KeyConditionExpression: '#order = :order',
        ExpressionAttributeNames: { '#order': ORDER_KEY },
        ExpressionAttributeValues: { ':order': outTradeNo },
        Limit: query.limit,
        ...(query.cursor ? { ExclusiveStartKey: { ...query.cursor } } : {}),
      }), sendOptions(opts));
      return {
        records: (out.Items ?? []).map(recordFromItem),
        ...(out.LastEvaluatedKey ? { next: stringCursor(out.LastEvaluatedKey) } : {}),
      };
    } catch (err) {
      throw storeError(err, 'Query (event records by order)');
    }
  }

  async readCursor(name: string, opts: CallOptions = {}): Promise<PageCursor | undefined> {
    try {
      const out = await this.doc.send(new GetCommand({ TableName: this.tables.notifications, Key: { [EVENT_KEY]: `cursor#${name}` }, ConsistentRead: true }), sendOptions(opts));
      const cursor = out.Item?.cursor;
      return cursor && typeof cursor === 'object' ? (cursor as PageCursor) : undefined;
    } catch (err) {
      throw storeError(err, 'GetItem (cursor)');
    }
  }

  async writeCursor(name: string, cursor: PageCursor | undefined, opts: CallOptions = {}): Promise<void> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.tables.notifications, Item: { [EVENT_KEY]: `cursor#${name}`, ...(cursor ? { cursor } : {}) } }), sendOptions(opts));
    } catch (err) {
      throw storeError(err, 'PutItem (cursor)');
    }
  }

  async nextSerial(name: string, opts: CallOptions = {}): Promise<number> {
    // A counter item in the events table; no event id starts with "counter#".
    try {
      const out = await this.doc.send(new UpdateCommand({
        TableName: this.tables.notifications,
        Key: { [EVENT_KEY]: `counter#${name}` },
        UpdateExpression: 'ADD #value :one',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }), sendOptions(opts));
      return Number(out.Attributes?.value);
    } catch (err) {
      throw storeError(err, 'UpdateItem (counter)');
    }
  }
}

/** A LastEvaluatedKey of string attributes as a cursor. */
const stringCursor = (key: Record<string, unknown>): PageCursor => Object.fromEntries(Object.entries(key).map(([k, v]) => [k, String(v)]));

/** The SDK abandons the call (retries included) when the request's deadline passes. */
const sendOptions = (opts: CallOptions) => (opts.signal ? { abortSignal: opts.signal } : {});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
