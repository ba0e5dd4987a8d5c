// Shared helpers for integration tests that talk to DynamoDB Local.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClientConfig } from '../../infra/local/dynamodb-local.ts';

/** Client for the DynamoDB Local instance started by test/run.ts. */
export function testDynamoClient(): DynamoDBClient {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'DYNAMODB_ENDPOINT is not set: run the tests via `npm test` (test/run.ts starts DynamoDB Local)',
    );
  }
  return new DynamoDBClient(localDynamoClientConfig(endpoint));
}

/** prefix + random suffix, so every test works on its own tables. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
