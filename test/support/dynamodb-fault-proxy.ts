// An HTTP proxy in front of DynamoDB Local that fails chosen operations, for "DynamoDB is having trouble" tests over real HTTP.
// Failures are either fixed (`fail(operation)` until `heal()`) or drawn at a rate (`chaos({ rate, faults })`), and each
// one is answered in DynamoDB's own JSON wire format, so the SDK sees exactly what it would see from the service.
import http from 'node:http';
import { after, before } from 'node:test';
import { LoopbackFake } from './loopback-fake.ts';

/**
 * How a failing operation fails:
 * - `internal_error`: 500 InternalServerError (the SDK retries it);
 * - `throttling`, `provisioned_throughput_exceeded`: 400 ThrottlingException / ProvisionedThroughputExceededException
 *   (the SDK retries them with backoff);
 * - `transaction_conflict`: TransactWriteItems only, 400 TransactionCanceledException whose CancellationReasons name
 *   TransactionConflict for one item (another transaction holds it) and None for the others; nothing is written;
 * - `connection_reset`: the connection dropped before DynamoDB sees the request;
 * - `answer_lost`: the request carried out and its answer lost (the connection dropped instead);
 * - `hang`: the connection accepted and never answered (the client's timeout or the request's deadline ends the wait).
 */
export type Fault =
  | 'internal_error'
  | 'throttling'
  | 'provisioned_throughput_exceeded'
  | 'transaction_conflict'
  | 'connection_reset'
  | 'answer_lost'
  | 'hang';

export const ALL_FAULTS: readonly Fault[] = [
  'internal_error', 'throttling', 'provisioned_throughput_exceeded', 'transaction_conflict', 'connection_reset', 'answer_lost', 'hang',
];

/** Faults drawn at a rate: each request of a listed operation fails with probability `rate`, by one of `faults`. */
export interface Chaos {
  rate: number;
  faults: readonly Fault[];
  /** Operations that may fail (default: every operation). */
  operations?: readonly string[];
  /** [0, 1) source; pass a seeded one to replay a run. */
  random?: () => number;
}

/**
 * What to do with one request, decided by an interceptor before the proxy does anything else with it:
 * `forward` it as usual (faults may still apply), `drop` it unseen (after `before` ran), or carry it out and lose its
 * answer (after `after` ran). A crashing process is modelled this way: kill it, then drop what it sent.
 */
export type Interception =
  | { action: 'forward' }
  | { action: 'drop'; before?: () => Promise<void> }
  | { action: 'lose_answer'; after?: () => Promise<void> };

export type Interceptor = (operation: string, body: Buffer) => Interception | Promise<Interception>;

const JSON_TYPE = 'application/x-amz-json-1.0';
const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

export class DynamoDbFaultProxy extends LoopbackFake {
  private readonly faults = new Map<string, Fault>();
  private chaosPlan: Chaos | undefined;
  private interceptor: Interceptor | undefined;
  /** Operations seen (X-Amz-Target without the version prefix), failed or not. */
  readonly operations: string[] = [];
  /** Every fault injected, fixed or drawn, in order. */
  readonly injected: { operation: string; fault: Fault }[] = [];

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

  /** From now on, fail requests at random (replaces an earlier plan); fixed faults from fail() take precedence. */
  chaos(plan: Chaos): void {
    if (!(plan.rate >= 0 && plan.rate <= 1)) throw new Error(`chaos: rate ${plan.rate} is not between 0 and 1`);
    if (plan.faults.length === 0) throw new Error('chaos: name at least one fault');
    this.chaosPlan = { ...plan };
  }

  /** Decides the fate of each request before faults apply (until heal() or intercept(undefined)). */
  intercept(interceptor: Interceptor | undefined): void {
    this.interceptor = interceptor;
  }

  /** Ends every fixed fault, the chaos plan and the interceptor. */
  heal(): void {
    this.faults.clear();
    this.chaosPlan = undefined;
    this.interceptor = undefined;
  }

  /** Injected faults by kind. */
  injectedByFault(): Partial<Record<Fault, number>> {
    const counts: Partial<Record<Fault, number>> = {};
    for (const { fault } of this.injected) counts[fault] = (counts[fault] ?? 0) + 1;
    return counts;
  }

  private drawFault(operation: string): Fault | undefined {
    const fixed = this.faults.get(operation);
    if (fixed) return fixed;
    const plan = this.chaosPlan;
    if (!plan || (plan.operations && !plan.operations.includes(operation))) return undefined;
    const random = plan.random ?? Math.random;
    if (random() >= plan.rate) return undefined;
    // A transaction conflict is a TransactWriteItems answer; other operations draw among the rest.
    const possible = plan.faults.filter((f) => f !== 'transaction_conflict' || operation === 'TransactWriteItems');
    if (possible.length === 0) return undefined;
    return possible[Math.floor(random() * possible.length)];
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void this.answer(req, res, Buffer.concat(chunks)).catch(() => req.socket.destroy());
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
    this.operations.push(operation);
    const decision = this.interceptor ? await this.interceptor(operation, body) : { action: 'forward' as const };
    if (decision.action === 'drop') {
      await decision.before?.();
      req.socket.destroy();
      return;
    }
    const fault = decision.action === 'forward' ? this.drawFault(operation) : undefined;
    if (fault) this.injected.push({ operation, fault });
    switch (fault) {
      case 'hang':
        return; // the socket stays open until the client gives up or stop() drops it
      case 'connection_reset':
        req.socket.destroy();
        return;
      case 'internal_error':
        return sendError(res, 500, 'InternalServerError', 'Internal server error (injected by the test proxy)');
      case 'throttling':
        return sendError(res, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput. (injected by the test proxy)');
      case 'provisioned_throughput_exceeded':
        return sendError(res, 400, 'ProvisionedThroughputExceededException',
          'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API. (injected by the test proxy)');
      case 'transaction_conflict':
        return sendTransactionConflict(res, body);
      case 'answer_lost':
      case undefined:
        break;
    }
    const loseAnswer = fault === 'answer_lost' || decision.action === 'lose_answer';
    await new Promise<void>((resolve) => {
      const upstream = http.request(`${this.target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        if (loseAnswer) {
          answer.resume();
          answer.on('end', () => {
            const after = decision.action === 'lose_answer' ? decision.after?.() : undefined;
            void Promise.resolve(after).finally(() => {
              req.socket.destroy();
              resolve();
            });
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
      });
      upstream.on('error', () => {
        req.socket.destroy();
        resolve();
      });
      upstream.end(body);
    });
  }
}

/** An error answer as DynamoDB writes it: `__type` names the exception, the SDK builds its error class from it. */
function sendError(res: http.ServerResponse, status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'x-amzn-requestid': 'fault-proxy' });
  res.end(JSON.stringify({ __type: `${ERROR_PREFIX}${type}`, message, ...extra }));
}

/**
 * What DynamoDB answers when another transaction holds one of the items: every item gets a reason, in request order,
 * `None` for the ones that were fine. The service writes the message as `Message` for this exception.
 */
function sendTransactionConflict(res: http.ServerResponse, body: Buffer): void {
  let items = 1;
  try {
    items = Math.max(1, (JSON.parse(body.toString('utf8')) as { TransactItems?: unknown[] }).TransactItems?.length ?? 1);
  } catch {
    // not JSON: one reason
  }
  const conflicted = items - 1; // the order item, when there is one: the item two copies of a notification both write
  const reasons = Array.from({ length: items }, (_, i) =>
    i === conflicted ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' });
  res.writeHead(400, { 'content-type': JSON_TYPE, 'x-amzn-requestid': 'fault-proxy' });
  res.end(JSON.stringify({
    __type: `${ERROR_PREFIX}TransactionCanceledException`,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    CancellationReasons: reasons,
  }));
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
