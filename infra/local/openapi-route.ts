// GET /openapi.json on the local API port: the storefront API's contract (infra/api/openapi.json), as written.
// Local only: API Gateway serves the routes of serverless.yml, and this document is not one of them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from './http-adapter.ts';

export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../api/openapi.json');

export const OPENAPI_ROUTE: Route = {
  routeKey: 'GET /openapi.json',
  // Read on each request, so an edited document shows without a restart.
  handler: async () => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'access-control-allow-origin': '*' },
    body: await readFile(OPENAPI_FILE, 'utf8'),
  }),
};
