// The local API Gateway adapter over real HTTP: events as API Gateway builds them, bytes untouched (GBK included).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import iconv from 'iconv-lite';
import { apiGatewayListener, isTextContentType, type Route } from '../../infra/local/http-adapter.ts';
import { bodyBytes, rawQueryBytes } from '../../shared/http/event.ts';

let server: http.Server;
let base: string;
const seen: APIGatewayProxyEventV2[] = [];

const routes: Route[] = [
  {
    routeKey: 'POST /echo',
    handler: async (event) => {
      seen.push(event);
      return { statusCode: 200, headers: { 'Content-Type': 'application/octet-stream' }, body: bodyBytes(event).toString('base64'), isBase64Encoded: true };
    },
  },
  {
    routeKey: 'GET /items/{id}',
    handler: async (event) => {
      seen.push(event);
      return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: `id=${event.pathParameters?.id}`, cookies: ['a=1; Path=/', 'b=2'] };
    },
  },
  { routeKey: 'GET /query', handler: async (event) => (seen.push(event), { statusCode: 204 }) },
  { routeKey: 'GET /plain', handler: async () => ({ hello: '世界' }) as never },
  {
    routeKey: 'GET /boom',
    handler: async () => {
      throw new Error('handler bug');
    },
  },
];

before(async () => {
  server = http.createServer(apiGatewayListener(routes));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A raw HTTP request, so the test controls every byte of the target and body. */
function rawRequest(method: string, target: string, headers: [string, string][], body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(base);
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: [['Host', `127.0.0.1:${port}`], ...headers].flatMap(([k, v]) => [k, v]) as unknown as http.OutgoingHttpHeaders });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the local API Gateway adapter', () => {
  test('a GBK form body arrives base64-encoded and byte for byte, headers lower-cased, repeated ones joined', async () => {
    const body = Buffer.concat([Buffer.from('subject='), Buffer.from(iconv.encode('测试商品', 'gbk').toString('latin1'), 'latin1'), Buffer.from('&total_fee=0.01')]);
    const res = await rawRequest('POST', '/echo', [['Content-Type', 'application/x-www-form-urlencoded; charset=GBK'], ['X-Trace', 'a'], ['x-trace', 'b']], body);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, body, 'the reply body (base64 from the handler) is decoded back to the same bytes');
    const event = seen.at(-1)!;
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, 'POST /echo');
    assert.equal(event.requestContext.routeKey, 'POST /echo');
    assert.equal(event.requestContext.http.method, 'POST');
    assert.equal(event.requestContext.http.sourceIp, '127.0.0.1');
    assert.match(event.requestContext.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(event.isBase64Encoded, true);
    assert.deepEqual(bodyBytes(event), body);
    assert.equal(event.headers['content-type'], 'application/x-www-form-urlencoded; charset=GBK');
    assert.equal(event.headers['x-trace'], 'a,b');
    assert.ok(!Object.keys(event.headers).some((k) => k !== k.toLowerCase()));
  });

  test('a JSON body arrives as text, not base64', async () => {
    const body = Buffer.from(JSON.stringify({ subject: '测试' }), 'utf8');
    await rawRequest('POST', '/echo', [['content-type', 'application/json']], body);
    const event = seen.at(-1)!;
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.body, '{"subject":"测试"}');
  });

  test('rawQueryString is passed through undecoded: percent-encoded GBK stays as sent', async () => {
    const gbk = [...iconv.encode('测试', 'gbk')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const raw = `subject=${gbk}&notify_id=RqPn%2Fab%2Bc&empty=&flag`;
    await rawRequest('GET', `/query?${raw}`, []);
    const event = seen.at(-1)!;
    assert.equal(event.rawQueryString, raw);
    assert.deepEqual(rawQueryBytes(event), Buffer.from(raw, 'latin1'));
    assert.equal(event.queryStringParameters?.notify_id, 'RqPn/ab+c');
    assert.equal(event.rawPath, '/query');
  });

  test('path parameters are decoded; cookies move to event.cookies; result cookies become Set-Cookie', async () => {
    const res = await rawRequest('GET', '/items/order%2D1', [['Cookie', 'x=1; y=2']]);
    assert.equal(res.body.toString(), 'id=order-1');
    assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2']);
    const event = seen.at(-1)!;
    assert.deepEqual(event.pathParameters, { id: 'order-1' });
    assert.deepEqual(event.cookies, ['x=1', 'y=2']);
    assert.equal(event.headers.cookie, undefined);
  });

  test('a result without statusCode is a 200 JSON body, as API Gateway reads it', async () => {
    const res = await rawRequest('GET', '/plain', []);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.body.toString('utf8')), { hello: '世界' });
  });

  test("no route: API Gateway's 404; a throwing handler: its 500; the method matters", async () => {
    const missing = await rawRequest('GET', '/nowhere', []);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body.toString()), { message: 'Not Found' });
    const wrongMethod = await rawRequest('GET', '/echo', []);
    assert.equal(wrongMethod.status, 404);
    const boom = await rawRequest('GET', '/boom', []);
    assert.equal(boom.status, 500);
    assert.deepEqual(JSON.parse(boom.body.toString()), { message: 'Internal Server Error' });
  });
});

test('isTextContentType: text, JSON and XML are text; forms and unknown types are not', () => {
  for (const t of ['text/plain', 'text/html; charset=utf-8', 'application/json', 'application/problem+json', 'application/xml', 'application/atom+xml']) assert.equal(isTextContentType(t), true, t);
  for (const t of [undefined, '', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; text/html; charset=utf-8', 'application/octet-stream', 'multipart/form-data']) assert.equal(isTextContentType(t), false, String(t));
});
