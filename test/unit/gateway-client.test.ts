// notify_verify against a real local HTTP server (protocol doc §3.4): Alipay's three answers, and every way of not getting one.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { GatewayUnavailableError, notifyVerify, notifyVerifyUrl } from '../../shared/alipay/gateway-client.ts';

const PARTNER = '2088101568358171';

/** What each path of the fake gateway answers; `hang` never answers. */
const ROUTES: Record<string, (res: ServerResponse) => void> = {
  '/true': (res) => res.end('true'),
  '/false': (res) => res.end('false'),
  '/invalid': (res) => res.end('invalid'),
  '/padded-true': (res) => res.end(' true\n'),
  '/upper-true': (res) => res.end('TRUE'),
  '/true-suffix': (res) => res.end('not true'),
  '/html': (res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
  },
  '/error-500': (res) => {
    res.statusCode = 500;
    res.end('true'); // a body that looks right does not make an error status an answer
  },
  '/hang': () => {},
  '/endless': (res) => {
    // 1 KB chunks for as long as the client reads: a broken proxy, or someone else's server
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = 'x'.repeat(1024);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  },
  '/slow-body': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('tr'); // headers and part of the body, then nothing
  },
};

let server: Server;
let base: string;
/** Every request the fake gateway received: path and raw request target. */
const received: Array<{ path: string; url: string }> = [];

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const path = new URL(url, 'http://gateway.test').pathname;
    received.push({ path, url });
    (ROUTES[path] ?? ((r) => { r.statusCode = 404; r.end(); }))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The last request the server saw on `path`, its query parsed the standard way (decoded exactly once). */
function lastQuery(path: string): URLSearchParams {
  const hit = received.filter((r) => r.path === path).at(-1);
  assert.ok(hit, `the server received no request on ${path}`);
  return new URL(hit.url, 'http://gateway.test').searchParams;
}

const verify = (path: string, notifyId = '38c1fb14812b0e048c0271319689233605', timeoutMs = 2000) =>
  notifyVerify(PARTNER, notifyId, { gatewayUrl: `${base}${path}`, timeoutMs });

/** Asserts the promise rejects with a GatewayUnavailableError of `kind`, which is transient (answer `fail`, Alipay retries). */
async function unavailable(promise: Promise<unknown>, kind: GatewayUnavailableError['kind']): Promise<GatewayUnavailableError> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    return e instanceof GatewayUnavailableError && e.kind === kind && e.transient === true;
  });
  return caught as GatewayUnavailableError;
}

describe('Alipay answers', () => {
  test('"true" resolves true, and the request is a GET with service=notify_verify, partner and notify_id only', async () => {
    assert.equal(await verify('/true'), 'true');
    const q = lastQuery('/true');
    assert.deepEqual([...q.keys()], ['service', 'partner', 'notify_id']);
    assert.equal(q.get('service'), 'notify_verify');
    assert.equal(q.get('partner'), PARTNER);
    assert.equal(q.get('notify_id'), '38c1fb14812b0e048c0271319689233605');
  });

  test('"false" resolves false', async () => {
    assert.equal(await verify('/false'), 'false');
  });

  test('"invalid" resolves invalid', async () => {
    assert.equal(await verify('/invalid'), 'invalid');
  });

  test('" true\\n" resolves true: surrounding whitespace is trimmed', async () => {
    assert.equal(await verify('/padded-true'), 'true');
  });
});

describe('no usable answer', () => {
  test('an HTML error page is garbage, and the message quotes the start of it', async () => {
    const err = await unavailable(verify('/html'), 'garbage');
    assert.match(err.message, /neither true, false nor invalid/);
    assert.match(err.message, /<html>/);
  });

  test('"TRUE" and "not true" are garbage: the answer is compared exactly after trimming', async () => {
    await unavailable(verify('/upper-true'), 'garbage');
    await unavailable(verify('/true-suffix'), 'garbage');
  });

  test('HTTP 500 is http_status, even with a body of "true"', async () => {
    const err = await unavailable(verify('/error-500'), 'http_status');
    assert.match(err.message, /HTTP 500/);
  });

  test('a gateway that never answers times out after timeoutMs', async () => {
    const started = Date.now();
    const err = await unavailable(verify('/hang', undefined, 200), 'timeout');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 4000, `took ${elapsed} ms (the default timeout is 5000)`);
    assert.match(err.message, /within 200 ms/);
  });

  test("an answer that never ends is garbage once it passes 64 KB, and is not read into memory", async () => {
    const err = await unavailable(verify('/endless', undefined, 60_000), 'garbage');
    assert.match(err.message, /longer than 65536 bytes/);
  });

  test("the caller's signal (the request's deadline) abandons the call before its own timeout", async () => {
    const deadline = AbortSignal.timeout(100);
    const err = await unavailable(notifyVerify(PARTNER, 'x', { gatewayUrl: `${base}/hang`, timeoutMs: 600_000, signal: deadline }), 'timeout');
    assert.match(err.message, /before the request's deadline/);
  });

  test('a body that stops halfway times out too', async () => {
    await unavailable(verify('/slow-body', undefined, 200), 'timeout');
  });

  test('a closed port is a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await unavailable(notifyVerify(PARTNER, 'x', { gatewayUrl: `http://127.0.0.1:${port}/gateway.do`, timeoutMs: 2000 }), 'network');
  });
});

describe('notify_id is encoded exactly once', () => {
  test('"RqPn/CoPT3K9+x%" arrives at the server as itself', async () => {
    const notifyId = 'RqPn/CoPT3K9+x%';
    assert.equal(await verify('/true', notifyId), 'true');
    assert.equal(lastQuery('/true').get('notify_id'), notifyId);
    assert.match(received.at(-1)!.url, /[?&]notify_id=RqPn%2FCoPT3K9%2Bx%25$/);
  });

  test('a notify_id that still contains %2F (as the return URL copy does) keeps it: %252F on the wire, %2F at the server', async () => {
    const notifyId = 'RqPnCoPT3K9%2Fvwbh3InWeOSmYSq6fCcDzhMU3KTg';
    assert.equal(await verify('/true', notifyId), 'true');
    assert.equal(lastQuery('/true').get('notify_id'), notifyId);
    assert.match(received.at(-1)!.url, /notify_id=RqPnCoPT3K9%252Fvwbh3/);
  });

  test('property: any notify_id text is read back by a standard query parser unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (notifyId) => {
        const url = new URL(notifyVerifyUrl('https://mapi.alipay.com/gateway.do', PARTNER, notifyId));
        assert.equal(url.searchParams.get('notify_id'), notifyId);
        assert.equal(url.searchParams.get('service'), 'notify_verify');
        assert.equal(url.searchParams.get('partner'), PARTNER);
        assert.equal(url.origin + url.pathname, 'https://mapi.alipay.com/gateway.do');
      }),
    );
  });

  test('the default gateway is mapi.alipay.com, as in vector A2', () => {
    assert.equal(
      notifyVerifyUrl('https://mapi.alipay.com/gateway.do', '1000000000000000', '1234'),
      'https://mapi.alipay.com/gateway.do?service=notify_verify&partner=1000000000000000&notify_id=1234',
    );
  });
});
