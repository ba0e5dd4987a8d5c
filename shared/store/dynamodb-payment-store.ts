// The PaymentStore port on DynamoDB: conditional writes and one transaction per event, failures mapped to typed outcomes.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { applyChange, type OrderChange } from '../orders/decide.ts';
import { ANOMALY_LIMIT, HISTORY_LIMIT, type Anomaly, type Order } from '../orders/order.ts';
import {
  StoreUnavailableError,
  type CommitInput,
  type CommitResult,
  type CreateOrderResult,
  type NotificationRecord,
  type PaymentStore,
} from '../payments/store-port.ts';
import { isAwaitingPayment } from '../orders/trade-status.ts';
import { cancellationCodes, errorName, storeError } from './errors.ts';
import { notificationFromItem, notificationToItem, orderFromItem, orderToItem, type Item } from './items.ts';
import { AWAITING_PAYMENT_ATTR, AWAITING_PAYMENT_VALUE, NOTIFICATION_KEY, ORDER_KEY, type TableNames } from './tables.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** BatchGet retries of UnprocessedKeys (each one more round trip); they are rare for two small items. */
const UNPROCESSED_RETRIES = 3;
const UNPROCESSED_BACKOFF_MS = 25;
/** A forged notify_id may be long; the key of a rejected record keeps only this much of it (the item keeps all). */
const REJECTED_KEY_ID_CHARS = 256;

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

  async createOrder(order: Order): Promise<CreateOrderResult> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tables.orders,
        Item: orderToItem(order),
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': ORDER_KEY },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { created: true };
    } catch (err) {
      if (errorName(err) !== 'ConditionalCheckFailedException') throw storeError(err, 'PutItem (order)');
      // The error carries the existing item in AttributeValue form (lib-dynamodb does not translate errors).
      const old = (err as { Item?: Parameters<typeof unmarshall>[0] }).Item;
      const existing = old ? orderFromItem(unmarshall(old)) : await this.getOrder(order.outTradeNo);
      if (!existing) throw new Error(`order ${order.outTradeNo} exists but could not be read back`);
      return { created: false, existing };
    }
  }

  async getOrder(outTradeNo: string): Promise<Order | undefined> {
    try {
      const out = await this.doc.send(new GetCommand({
        TableName: this.tables.orders,
        Key: { [ORDER_KEY]: outTradeNo },
        ConsistentRead: true,
      }));
      return out.Item ? orderFromItem(out.Item) : undefined;
    } catch (err) {
      throw storeError(err, 'GetItem (order)');
    }
  }

  async readForEvent(outTradeNo: string, notifyId: string | undefined): Promise<{ order?: Order; notification?: NotificationRecord }> {
    let request: BatchGetCommandInput['RequestItems'] = {
      // An empty out_trade_no (e.g. a batch refund notify) names no order; DynamoDB refuses empty keys.
      ...(outTradeNo === '' ? {} : { [this.tables.orders]: { Keys: [{ [ORDER_KEY]: outTradeNo }], ConsistentRead: true } }),
      ...(notifyId === undefined
        ? {}
        : { [this.tables.notifications]: { Keys: [{ [NOTIFICATION_KEY]: notifyId }], ConsistentRead: true } }),
    };
    const found: Record<string, Item[]> = {};
    for (let attempt = 0; ; attempt++) {
      let out: BatchGetCommandOutput;
      try {
        out = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
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
    const notificationItem = found[this.tables.notifications]?.[0];
    return {
      ...(orderItem ? { order: orderFromItem(orderItem) } : {}),
      ...(notificationItem ? { notification: notificationFromItem(notificationItem) } : {}),
    };
  }

  async commitEvent({ record, order, change, anomalies = [] }: CommitInput): Promise<CommitResult> {
    if (!order && change) throw new Error('commitEvent: a change needs the order it was decided on');
    const items: TransactItem[] = [{
      Put: {
        TableName: this.tables.notifications,
        Item: notificationToItem(record),
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': NOTIFICATION_KEY },
      },
    }];
    if (order && (change || anomalies.length > 0)) {
      items.push({ Update: this.orderUpdate(order, change, anomalies, record.receivedAt) });
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return 'committed';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (!codes) throw storeError(err, 'TransactWriteItems');
      // The notification first: if it is recorded, this event was handled, whatever happened to the order.
      if (codes[0] === 'ConditionalCheckFailed') return 'notification_exists';
      if (codes[1] === 'ConditionalCheckFailed') return 'order_changed';
      if (codes.includes('ValidationError')) throw err; // our request is wrong; retrying will not help
      throw new StoreUnavailableError(`DynamoDB TransactWriteItems was cancelled (${codes.join(', ')}); try again`, err);
    }
  }

  async recordRejected(record: NotificationRecord): Promise<void> {
    // Its own key, so a forged notification never occupies (or is blocked by) a real notify_id.
    const key = `rejected#${record.notifyId.slice(0, REJECTED_KEY_ID_CHARS)}#${record.receivedAt}#${randomBytes(6).toString('hex')}`;
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tables.notifications,
        Item: { ...notificationToItem(record), [NOTIFICATION_KEY]: key, claimedNotifyId: record.notifyId, rejected: true },
      }));
    } catch (err) {
      throw storeError(err, 'PutItem (rejected notification)');
    }
  }

  /** The order update of a commit: guarded by the version read; writes whole lists computed from that read. */
  private orderUpdate(order: Order, change: OrderChange | undefined, anomalies: Anomaly[], at: string) {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':read': order.version };
    const set: string[] = [];
    const assign = (attr: string, value: unknown) => {
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      set.push(`#${attr} = :${attr}`);
    };

    const next = change ? applyChange(order, change, HISTORY_LIMIT) : { ...order, version: order.version + 1, updatedAt: at };
    assign('version', next.version);
    assign('updatedAt', next.updatedAt);
    if (change) {
      assign('history', next.history);
      if (change.status !== undefined) assign('status', next.status);
      if (change.tradeNo !== undefined) assign('tradeNo', next.tradeNo);
      if (change.refund !== undefined) assign('refund', next.refund);
      if (change.paidFen !== undefined) assign('paidFen', next.paidFen);
    }
    if (anomalies.length > 0) assign('anomalies', [...order.anomalies, ...anomalies].slice(-ANOMALY_LIMIT));

    // Keep the sparse index in step with the status the order ends in.
    const remove: string[] = [];
    if (isAwaitingPayment(next.status)) assign(AWAITING_PAYMENT_ATTR, AWAITING_PAYMENT_VALUE);
    else {
      names[`#${AWAITING_PAYMENT_ATTR}`] = AWAITING_PAYMENT_ATTR;
      remove.push(`#${AWAITING_PAYMENT_ATTR}`);
    }

    return {
      TableName: this.tables.orders,
      Key: { [ORDER_KEY]: order.outTradeNo },
      ConditionExpression: '#version = :read',
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
