// A reverse proxy in front of the local API, standing where API Gateway would: it forwards everything, except that
// it can be told to answer `fail` to the next notifications itself (the merchant's endpoint having a bad minute).
import http from 'node:http';
import { LoopbackFake } from './loopback-fake.ts';

export class FrontDoor extends LoopbackFake {
  private failing = 0;
  /** Notify POSTs seen: answered `fail` by this door, or forwarded (with the handler's answer). */
  readonly notifies: ({ outcome: 'fail' } | { outcome: 'forwarded'; answer: string })[] = [];
  target = '';

  get url(): string {
    return this.baseUrl;
  }

  /** The next `n` notify POSTs get `fail` without reaching the handler. */
  failNextNotifies(n: number): void {
    this.failing = n;
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const isNotify = req.method === 'POST' && req.url === '/alipay/notify';
    if (isNotify && this.failing > 0) {
      this.failing--;
      this.notifies.push({ outcome: 'fail' });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('fail');
      return;
    }
    const headers = { ...req.headers };
    delete headers.host;
    const upstream = http.request(`${this.target}${req.url}`, { method: req.method, headers });
    upstream.on('response', (up) => {
      const body: Buffer[] = [];
      up.on('data', (c: Buffer) => body.push(c));
      up.on('end', () => {
        const answer = Buffer.concat(body);
        if (isNotify) this.notifies.push({ outcome: 'forwarded', answer: answer.toString('utf8') });
        res.writeHead(up.statusCode ?? 502, up.headers).end(answer);
      });
    });
    upstream.on('error', () => res.writeHead(502).end('bad gateway'));
    upstream.end(Buffer.concat(chunks));
  }
}
