// An HTTP proxy in front of DynamoDB Local that fails chosen operations, for "DynamoDB is having trouble" tests over real HTTP.
import http from 'node:http';
import { after, before } from 'node:test';
import { LoopbackFake } from './loopback-fake.ts';

/**
 * How a failing operation fails: a 500 InternalServerError answer, the connection dropped before DynamoDB sees the
 * request, the request carried out and its answer lost, or the connection accepted and never answered.
 */
export type Fault = 'internal_error' | 'connection_reset' | 'answer_lost' | 'hang';

export class DynamoDbFaultProxy extends LoopbackFake {
  private readonly faults = new Map<string, Fault>();
  /** Operations seen (X-Amz-Target without the version prefix), failed or not. */
  readonly operations: string[] = [];

  constructor(private readonly target: string) {
    super();
  }

  get endpoint(): string {
    return this.baseUrl;
  }

  /** Makes `operation` (e.g. `TransactWriteItems`) fail until heal(). */
  fail(operation: string, fault: Fault = 'internal_error'): void {
    this.faults.set(operation, fault);
  }

  heal(): void {
    this.faults.clear();
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
      this.operations.push(operation);
      const fault = this.faults.get(operation);
      if (fault === 'hang') return; // the socket stays open until the client gives up or stop() drops it
      if (fault === 'connection_reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'internal_error') {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fault-proxy' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected by the test proxy' }));
        return;
      }
      const upstream = http.request(`${this.target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        if (fault === 'answer_lost') {
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => req.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  }
}

/**
 * A fault proxy in front of the test run's DynamoDB Local for one test file, started before its first case and
 * stopped after its last, with the app pointed back at the real endpoint. Point the app at `proxy.endpoint` with
 * `app.setEnv({ DYNAMODB_ENDPOINT: … })` where a case wants faults.
 */
export function useDynamoDbFaultProxy(app: { setEnv(vars: Record<string, string | undefined>): void }): { readonly proxy: DynamoDbFaultProxy; realEndpoint: string } {
  const realEndpoint = process.env.DYNAMODB_ENDPOINT!;
  let current: DynamoDbFaultProxy | undefined;
  before(async () => {
    current = await new DynamoDbFaultProxy(realEndpoint).start();
  });
  after(async () => {
    app.setEnv({ DYNAMODB_ENDPOINT: realEndpoint });
    await current?.stop();
  });
  return {
    realEndpoint,
    get proxy() {
      if (!current) throw new Error('useDynamoDbFaultProxy: the proxy starts in before(); use it inside a test');
      return current;
    },
  };
}
