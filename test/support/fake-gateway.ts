// A stand-in for Alipay's gateway over real HTTP: answers notify_verify per notify_id as a test programs it (or fails at a rate), and counts calls.
import http from 'node:http';
import { LoopbackFake } from './loopback-fake.ts';

/**
 * What notify_verify answers for one notify_id:
 * Alipay's three words, any other text, an HTTP error status, or no answer at all (the caller's timeout fires).
 */
export type VerifyBehaviour = 'true' | 'false' | 'invalid' | { text: string } | { status: number } | 'hang';

/**
 * How notify_verify fails when it fails at random (`failAtRate`): answers only after `slowMs` (past the caller's
 * timeout), never answers, answers HTTP 500, answers a page that is none of Alipay's words, or drops the connection.
 */
export type GatewayFault = 'timeout' | 'hang' | 'status_500' | 'garbage' | 'connection_reset';

export const ALL_GATEWAY_FAULTS: readonly GatewayFault[] = ['timeout', 'hang', 'status_500', 'garbage', 'connection_reset'];

export interface GatewayChaos {
  rate: number;
  faults: readonly GatewayFault[];
  /** How long a `timeout` answer takes (default 60 s: longer than any caller waits). */
  slowMs?: number;
  /** [0, 1) source; pass a seeded one to replay a run. */
  random?: () => number;
}

export interface VerifyCall {
  notifyId: string;
  partner: string | null;
  /** The query string exactly as received. */
  rawQuery: string;
}

export class FakeGateway extends LoopbackFake {
  private readonly behaviours = new Map<string, VerifyBehaviour>();
  private defaultBehaviour: VerifyBehaviour = 'true';
  readonly calls: VerifyCall[] = [];
  /** Faults injected by failAtRate, in order. */
  readonly injected: { notifyId: string; fault: GatewayFault }[] = [];
  private chaos: GatewayChaos | undefined;
  private readonly slowTimers = new Set<NodeJS.Timeout>();
  /** Requests that were not a well-formed notify_verify (wrong path, service, or missing parameters). */
  readonly badRequests: string[] = [];

  /** The gateway URL for ALIPAY_GATEWAY_URL. */
  get url(): string {
    return `${this.baseUrl}/gateway.do`;
  }

  /** How notify_verify answers for `notifyId` from now on. */
  answer(notifyId: string, behaviour: VerifyBehaviour): void {
    this.behaviours.set(notifyId, behaviour);
  }

  /** How notify_verify answers for notify_ids without their own behaviour (initially `true`). */
  answerByDefault(behaviour: VerifyBehaviour): void {
    this.defaultBehaviour = behaviour;
  }

  /**
   * From now on each notify_verify call fails with probability `rate`, by one of `faults`, before the per-id or default
   * behaviour is consulted; `undefined` stops it.
   */
  failAtRate(chaos: GatewayChaos | undefined): void {
    if (chaos && !(chaos.rate >= 0 && chaos.rate <= 1)) throw new Error(`failAtRate: rate ${chaos.rate} is not between 0 and 1`);
    if (chaos && chaos.faults.length === 0) throw new Error('failAtRate: name at least one fault');
    this.chaos = chaos && { ...chaos };
  }

  override async stop(): Promise<void> {
    for (const t of this.slowTimers) clearTimeout(t);
    this.slowTimers.clear();
    await super.stop();
  }

  /** How many times notify_verify was asked about `notifyId`. */
  callCount(notifyId: string): number {
    return this.calls.filter((c) => c.notifyId === notifyId).length;
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? '';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const query = new URLSearchParams(rawQuery);
    const notifyId = query.get('notify_id');
    if (req.method !== 'GET' || path !== '/gateway.do' || query.get('service') !== 'notify_verify' || !notifyId || !query.get('partner')) {
      this.badRequests.push(`${req.method} ${target}`);
      res.writeHead(400, { 'content-type': 'text/plain' }).end('ILLEGAL_ARGUMENT');
      return;
    }
    this.calls.push({ notifyId, partner: query.get('partner'), rawQuery });
    const fault = this.drawFault();
    if (fault) {
      this.injected.push({ notifyId, fault });
      this.fail(fault, req, res);
      return;
    }
    const behaviour = this.behaviours.get(notifyId) ?? this.defaultBehaviour;
    if (behaviour === 'hang') return; // the socket stays open until the client gives up or stop() drops it
    if (typeof behaviour === 'string') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(behaviour);
    } else if ('status' in behaviour) {
      res.writeHead(behaviour.status, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(behaviour.text);
    }
  }

  private drawFault(): GatewayFault | undefined {
    const chaos = this.chaos;
    if (!chaos) return undefined;
    const random = chaos.random ?? Math.random;
    if (random() >= chaos.rate) return undefined;
    return chaos.faults[Math.floor(random() * chaos.faults.length)];
  }

  private fail(fault: GatewayFault, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (fault) {
      case 'hang':
        return;
      case 'connection_reset':
        req.socket.destroy();
        return;
      case 'status_500':
        res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/html; charset=GBK' }).end('<html><head><title>系统繁忙</title></head><body>busy, try later</body></html>');
        return;
      case 'timeout': {
        const timer = setTimeout(() => {
          this.slowTimers.delete(timer);
          if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end('true');
        }, this.chaos?.slowMs ?? 60_000);
        this.slowTimers.add(timer);
        return;
      }
    }
  }
}

export async function startFakeGateway(): Promise<FakeGateway> {
  return new FakeGateway().start();
}
