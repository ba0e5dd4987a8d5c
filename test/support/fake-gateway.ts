// A stand-in for Alipay's gateway over real HTTP: answers notify_verify per notify_id as a test programs it, and counts calls.
import http from 'node:http';
import { LoopbackFake } from './loopback-fake.ts';

/**
 * What notify_verify answers for one notify_id:
 * Alipay's three words, any other text, an HTTP error status, or no answer at all (the caller's timeout fires).
 */
export type VerifyBehaviour = 'true' | 'false' | 'invalid' | { text: string } | { status: number } | 'hang';

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
}

export async function startFakeGateway(): Promise<FakeGateway> {
  return new FakeGateway().start();
}
