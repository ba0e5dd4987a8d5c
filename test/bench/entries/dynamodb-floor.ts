// The floor: a bundle that only creates the DynamoDB DocumentClient, and a "DB-only" handler making exactly the calls
// our notify makes for a fresh notification (one BatchGetItem of order + event record, one TransactWriteItems of
// record + order), with no parsing, signature, notify_verify or decision. The keys come precomputed in the event.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

const env = process.env;
const doc = DynamoDBDocumentClient.from(new DynamoDBClient(env.DYNAMODB_ENDPOINT
  ? { endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION || 'us-east-1' } // credentials from the environment, as ours
  : {}), { marshallOptions: { removeUndefinedValues: true } });

export async function handler(event: { bench?: { outTradeNo: string; notifyId: string; record: Record<string, unknown> } }): Promise<{ statusCode: number; body: string }> {
  if (!event.bench) return { statusCode: 200, body: 'success' }; // the cold-start measurement: module init only
  const { outTradeNo, notifyId, record } = event.bench;
  const read = await doc.send(new BatchGetCommand({ RequestItems: {
    [env.ORDERS_TABLE!]: { Keys: [{ outTradeNo }], ConsistentRead: true },
    [env.NOTIFICATIONS_TABLE!]: { Keys: [{ eventId: notifyId }], ConsistentRead: true },
  } }));
  const order = read.Responses?.[env.ORDERS_TABLE!]?.[0];
  if (read.Responses?.[env.NOTIFICATIONS_TABLE!]?.[0]) return { statusCode: 200, body: 'success' };
  await doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: env.NOTIFICATIONS_TABLE!, Item: { eventId: notifyId, ...record }, ConditionExpression: 'attribute_not_exists(eventId)' } },
    { Put: { TableName: env.ORDERS_TABLE!, Item: { ...order, status: 'TRADE_SUCCESS', version: Number(order?.version ?? 0) + 1 }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': order?.version } } },
  ] }));
  return { statusCode: 200, body: 'success' };
}
