// The DynamoDB client for handlers and the local stack: few retries and short timeouts, so a notify answers `fail` in time.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export function createDynamoClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    maxAttempts: 3,
    // Without throwOnRequestTimeout, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  };
  const endpoint = env.DYNAMODB_ENDPOINT?.trim();
  if (endpoint) {
    config.endpoint = endpoint;
    config.region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
    // DynamoDB Local accepts any credentials; do not make developers configure real ones.
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  }
  return new DynamoDBClient(config);
}
