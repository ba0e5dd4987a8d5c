// API Gateway HTTP API (payload 2.0) events as API Gateway builds them, for driving handlers through their real entry points.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

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

/** API Gateway's decoded query parameters (handlers use rawQueryString; this is only for completeness). */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const out: Record<string, string> = {};
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [name, value] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s; // not UTF-8 (a GBK return): left as sent
      }
    };
    const k = decode(name);
    out[k] = out[k] === undefined ? decode(value) : `${out[k]},${decode(value)}`;
  }
  return out;
}

export function httpEvent(input: HttpEventInput): APIGatewayProxyEventV2 {
  const method = (input.method ?? 'GET').toUpperCase();
  const rawQueryString = input.rawQueryString ?? '';
  const bytes = input.body === undefined ? undefined : Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body, 'utf8');

  // What API Gateway adds itself; a caller's value replaces these. Caller headers given twice (any case) are joined.
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.ap-east-1.amazonaws.com',
    'user-agent': 'integration-test',
    'x-forwarded-for': '203.0.113.10',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const k = name.toLowerCase();
    const v = Array.isArray(value) ? value.join(',') : value;
    given[k] = given[k] === undefined ? v : `${given[k]},${v}`;
  }
  Object.assign(headers, given);
  if (bytes !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(bytes.length);

  const now = new Date();
  const requestId = randomUUID();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: input.routeKey ?? `${method} ${input.path}`,
    rawPath: input.path,
    rawQueryString,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.ap-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: input.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: input.routeKey ?? `${method} ${input.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: input.base64 === true,
  };
  const query = queryParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (input.pathParameters) event.pathParameters = input.pathParameters;
  if (bytes !== undefined) event.body = input.base64 ? bytes.toString('base64') : bytes.toString('utf8');
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
