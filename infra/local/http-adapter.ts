// Plain HTTP in, API Gateway HTTP API (payload 2.0) events out, handler results back to HTTP: the handlers run
// locally exactly as behind API Gateway. Bytes are never re-decoded: the body goes through as base64 unless its
// content type is text, JSON or XML (as API Gateway does), and rawQueryString is passed through as received.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

export interface Route {
  /** As in serverless.yml: `POST /payments`, `GET /payments/{outTradeNo}`. */
  routeKey: string;
  handler: LambdaHttpHandler;
}

/** A request as it arrived, before API Gateway shapes it. */
export interface RawHttpRequest {
  method: string;
  /** The request target as on the wire: path plus `?query`. */
  target: string;
  /** Name/value pairs in arrival order, names in any case (node's `rawHeaders`, paired). */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Buffer;
  sourceIp: string;
}

/** API Gateway sends these bodies as text; everything else (form posts included) as base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' || type.endsWith('+json') ||
    type === 'application/xml' || type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

interface CompiledRoute extends Route {
  method: string;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, method, pattern: new RegExp(`^${source}$`), names };
}

const compiled = new WeakMap<readonly Route[], CompiledRoute[]>();

/** Finds the route for a method and raw path; path parameters are percent-decoded as API Gateway does. */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string): { route: Route; pathParameters?: Record<string, string> } | undefined {
  let table = compiled.get(routes);
  if (!table) compiled.set(routes, (table = routes.map(compile)));
  for (const route of table) {
    if (route.method !== method.toUpperCase()) continue;
    const m = route.pattern.exec(rawPath);
    if (!m) continue;
    if (route.names.length === 0) return { route };
    const pathParameters: Record<string, string> = {};
    route.names.forEach((name, i) => {
      const raw = m[i + 1]!;
      try {
        pathParameters[name] = decodeURIComponent(raw);
      } catch {
        pathParameters[name] = raw;
      }
    });
    return { route, pathParameters };
  }
  return undefined;
}

/** API Gateway's decoded query parameters (repeated names joined by commas); handlers read rawQueryString instead. */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const out: Record<string, string> = {};
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s; // not UTF-8 (a GBK return, say): left as sent
    }
  };
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `24/Nov/2026:08:15:02 +0000`, API Gateway's requestContext.time. */
function requestTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The payload 2.0 event API Gateway would hand the function for this request and route. */
export function apiGatewayEvent(req: RawHttpRequest, routeKey: string, pathParameters?: Record<string, string>): APIGatewayProxyEventV2 {
  const q = req.target.indexOf('?');
  const rawPath = q < 0 ? req.target : req.target.slice(0, q);
  const rawQueryString = q < 0 ? '' : req.target.slice(q + 1);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of req.headers) {
    const k = name.toLowerCase();
    if (k === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter((c) => c !== ''));
      continue;
    }
    headers[k] = headers[k] === undefined ? value : `${headers[k]},${value}`;
  }
  const domainName = headers.host ?? 'localhost';
  const now = new Date();
  const method = req.method.toUpperCase();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  const query = queryParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (pathParameters) event.pathParameters = pathParameters;
  if (req.body.length > 0) {
    const text = isTextContentType(headers['content-type']);
    event.body = text ? req.body.toString('utf8') : req.body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

/** What API Gateway sends back for a function result (payload 2.0 rules). */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

export function replyFromResult(result: APIGatewayProxyResultV2): HttpReply {
  // A result without statusCode is taken as a JSON body with status 200.
  if (typeof result === 'string' || result === null || typeof result !== 'object' || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body, 'utf8') };
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const raw = result.body ?? '';
  const body = result.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return { status: result.statusCode ?? 200, headers, cookies: result.cookies ?? [], body };
}

const jsonReply = (status: number, message: string): HttpReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message }), 'utf8'),
});

/** Routes one raw request: the handler's reply, API Gateway's 404 for no route, its 500 when the handler throws. */
export async function invoke(routes: readonly Route[], req: RawHttpRequest, onError?: (err: unknown) => void): Promise<HttpReply | undefined> {
  const q = req.target.indexOf('?');
  const match = matchRoute(routes, req.method, q < 0 ? req.target : req.target.slice(0, q));
  if (!match) return undefined;
  const event = apiGatewayEvent(req, match.route.routeKey, match.pathParameters);
  try {
    return replyFromResult(await match.route.handler(event));
  } catch (err) {
    onError?.(err);
    return jsonReply(500, 'Internal Server Error');
  }
}

/** Reads a node request into a RawHttpRequest (body capped like API Gateway's 10 MB payload limit). */
export async function readRawRequest(req: http.IncomingMessage, maxBytes = 10 * 1024 * 1024): Promise<RawHttpRequest | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    headers,
    body: Buffer.concat(chunks),
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
  };
}

export function writeReply(res: http.ServerResponse, reply: HttpReply): void {
  const headers: Record<string, string | string[]> = { ...reply.headers, 'content-length': String(reply.body.length) };
  if (reply.cookies.length > 0) headers['set-cookie'] = reply.cookies;
  res.writeHead(reply.status, headers).end(reply.body);
}

/**
 * A node request listener serving `routes` like API Gateway. Requests no route matches go to `fallback`
 * (the demo shop, locally), or get API Gateway's `404 {"message":"Not Found"}`.
 */
export function apiGatewayListener(
  routes: readonly Route[],
  opts: { fallback?: (req: RawHttpRequest, res: http.ServerResponse) => void | Promise<void>; onError?: (err: unknown) => void } = {},
): http.RequestListener {
  return (req, res) => {
    void (async () => {
      const raw = await readRawRequest(req);
      if (raw === 'too_large') return writeReply(res, jsonReply(413, 'Request Entity Too Large'));
      const reply = await invoke(routes, raw, opts.onError);
      if (reply) return writeReply(res, reply);
      if (opts.fallback) return opts.fallback(raw, res);
      writeReply(res, jsonReply(404, 'Not Found'));
    })().catch((err: unknown) => {
      opts.onError?.(err);
      if (!res.headersSent) writeReply(res, jsonReply(500, 'Internal Server Error'));
      else res.destroy();
    });
  };
}
