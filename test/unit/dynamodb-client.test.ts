// The handlers' DynamoDB client gives up on a request that gets no answer (defect: requestTimeout only warned).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from '../../shared/store/client.ts';

// A "DynamoDB" that accepts every connection and never answers.
let server: http.Server;
let endpoint: string;
before(async () => {
  server = http.createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('createDynamoClient', () => {
  test('a request that is never answered fails with TimeoutError after its attempts, instead of waiting for ever', { timeout: 120_000 }, async () => {
    const client = createDynamoClient({ DYNAMODB_ENDPOINT: endpoint, DYNAMODB_REQUEST_TIMEOUT_MS: '200' });
    try {
      await assert.rejects(
        client.send(new GetItemCommand({ TableName: 't', Key: { k: { S: 'x' } } })),
        (err: Error) => err.name === 'TimeoutError',
      );
    } finally {
      client.destroy();
    }
  });

  test('a bad DYNAMODB_REQUEST_TIMEOUT_MS is named', () => {
    assert.throws(() => createDynamoClient({ DYNAMODB_REQUEST_TIMEOUT_MS: '3s' }), /DYNAMODB_REQUEST_TIMEOUT_MS/);
  });
});
