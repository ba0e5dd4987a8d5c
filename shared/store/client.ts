// The DynamoDB client for handlers and the local stack: few retries and short timeouts, so a notify answers `fail` in time.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

const DEFAULT_REQUEST_TIMEOUT_MS = 3_000;

export function createDynamoClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: requestTimeoutMs(env),
      // Without it, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes, and waits on.
      throwOnRequestTimeout: true,
    },
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

/** DYNAMODB_REQUEST_TIMEOUT_MS: per attempt; the request's deadline bounds all attempts together. */
function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const v = env.DYNAMODB_REQUEST_TIMEOUT_MS;
  if (v === undefined || v === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  if (!/^[1-9]\d{0,6}$/.test(v)) throw new Error(`configuration: DYNAMODB_REQUEST_TIMEOUT_MS: "${v}" is not a positive whole number of milliseconds`);
  return Number(v);
}
