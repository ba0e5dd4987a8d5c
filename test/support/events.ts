// API Gateway HTTP API (payload 2.0) events as API Gateway builds them, for driving handlers through their real entry points.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from '../../infra/local/http-adapter.ts';

export interface HttpEventInput {
  method?: string;
  /** The request path without the query string, e.g. `/alipay/notify`. */
  path: string;
  /** `POST /alipay/notify`; defaults to `${method} ${path}`. */
  routeKey?: string;
  /** Exactly as on the wire, undecoded (API Gateway passes it through). */
  rawQueryString?: string;
  /** Any case; API Gateway lower-cases the names and joins repeated headers with commas. */
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** As API Gateway does for non-text bodies: body is the base64 of the bytes and isBase64Encoded is true. */
  base64?: boolean;
  pathParameters?: Record<string, string>;
}

/** The event API Gateway would build; the local HTTP adapter's builder, so tests and `npm start` agree. */
export function httpEvent(input: HttpEventInput): APIGatewayProxyEventV2 {
  const method = (input.method ?? 'GET').toUpperCase();
  const rawQueryString = input.rawQueryString ?? '';
  const bytes = input.body === undefined ? undefined : Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body, 'utf8');

  // What API Gateway adds itself; a caller's value replaces these. Caller headers given twice (any case) are joined.
  const given = Object.entries(input.headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v) => [name, v] as const),
  );
  const givenNames = new Set(given.map(([name]) => name.toLowerCase()));
  const defaults: [string, string][] = [
    ['host', 'abc123.execute-api.ap-east-1.amazonaws.com'],
    ['user-agent', 'integration-test'],
    ['x-forwarded-for', '203.0.113.10'],
    ['x-forwarded-port', '443'],
    ['x-forwarded-proto', 'https'],
  ];
  if (bytes !== undefined) defaults.push(['content-length', String(bytes.length)]);
  const headers = [...defaults.filter(([name]) => !givenNames.has(name)), ...given];

  const target = rawQueryString === '' ? input.path : `${input.path}?${rawQueryString}`;
  const event = apiGatewayEvent(
    { method, target, headers, body: Buffer.alloc(0), sourceIp: '203.0.113.10' },
    input.routeKey ?? `${method} ${input.path}`,
    input.pathParameters,
  );
  if (bytes !== undefined) {
    event.body = input.base64 ? bytes.toString('base64') : bytes.toString('utf8');
    event.isBase64Encoded = input.base64 === true;
  }
  return event;
}

/** A handler's answer as a test reads it: status, lower-cased headers, body text. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

export function readResult(result: APIGatewayProxyStructuredResultV2 | string): HttpAnswer {
  if (typeof result === 'string') return { status: 200, headers: {}, body: result, json: undefined };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const raw = result.body ?? '';
  const body = result.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: result.statusCode ?? 200, headers, body, json };
}
