// An Orders stream record (as Lambda hands it over, or as GetRecords returns it) -> the order before and after.
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Order } from '../orders/order.ts';
import { orderFromItem } from './items.ts';

/** The part of a stream record this reads; Lambda's DynamoDBRecord and the Streams API's Record both fit. */
export interface OrderStreamRecord {
  eventName?: string;
  dynamodb?: {
    SequenceNumber?: string;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
  };
}

export interface OrderChange {
  before?: Order;
  after?: Order;
}

export function orderChangeOf(record: OrderStreamRecord): OrderChange {
  const image = (i: Record<string, unknown> | undefined): Order | undefined =>
    i === undefined ? undefined : orderFromItem(unmarshall(i as Record<string, AttributeValue>));
  return { before: image(record.dynamodb?.OldImage), after: image(record.dynamodb?.NewImage) };
}
