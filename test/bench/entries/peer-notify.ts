// The peer: a notify handler doing our business work (verify the MD5 sign, notify_verify, a conditional order update)
// made idempotent the Powertools way (makeIdempotent + DynamoDBPersistenceLayer keyed on notify_id) with the
// Powertools Logger. Bundled with our esbuild settings; only the bench uses it.
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { notifyVerify } from '../../../shared/alipay/gateway-client.ts';
import { receiveMessage } from '../../../shared/alipay/receive.ts';
import { bodyBytes } from '../../../shared/http/event.ts';

const env = process.env;
const client = new DynamoDBClient(env.DYNAMODB_ENDPOINT
  ? { endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION || 'us-east-1' } // credentials from the environment, as ours
  : {});
const doc = DynamoDBDocumentClient.from(client);
const logger = new Logger({ serviceName: 'peer-notify' });
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: env.IDEMPOTENCY_TABLE!, awsSdkV3Client: client });
const config = new IdempotencyConfig({ eventKeyJmesPath: 'notify_id', expiresAfterSeconds: 3 * 24 * 3600 });
const RANK: Record<string, number> = { WAIT_BUYER_PAY: 1, TRADE_SUCCESS: 2, TRADE_FINISHED: 3, TRADE_CLOSED: 3 };

const processNotification = makeIdempotent(async (fields: Record<string, string>): Promise<string> => {
  const verdict = await notifyVerify(env.ALIPAY_PARTNER!, fields.notify_id!, { gatewayUrl: env.ALIPAY_GATEWAY_URL, timeoutMs: 3000 });
  if (verdict !== 'true') throw new Error(`notify_verify answered ${verdict}`);
  try {
    await doc.send(new UpdateCommand({
      TableName: env.ORDERS_TABLE,
      Key: { outTradeNo: fields.out_trade_no },
      UpdateExpression: 'SET #s = :s, tradeNo = :t, statusRank = :r, version = version + :one',
      ConditionExpression: 'attribute_exists(outTradeNo) AND (attribute_not_exists(statusRank) OR statusRank < :r)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': fields.trade_status, ':t': fields.trade_no, ':r': RANK[fields.trade_status!] ?? 0, ':one': 1 },
    }));
    return 'applied';
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return 'stale';
    throw err;
  }
}, { persistenceStore, config });

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const answer = (body: string) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body });
  try {
    const received = receiveMessage(bodyBytes(event), env.ALIPAY_KEY!, 'utf-8');
    if (!received.ok) return answer('fail');
    const outcome = await processNotification(received.message.fields);
    logger.info('notify', { outcome, notifyId: received.message.fields.notify_id });
    return answer('success');
  } catch (err) {
    logger.error('notify failed', { error: (err as Error).message });
    return answer('fail');
  }
}
