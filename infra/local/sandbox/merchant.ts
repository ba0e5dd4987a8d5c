// A scripted merchant for tests and demo scripts: signs gateway requests, and runs a notify endpoint on 127.0.0.1
// that keeps every notification's raw bytes and answers as told (`success` unless scripted otherwise).
import { listenOnLoopback } from '../loopback-server.ts';
import type { Charset } from './alipay-charset.ts';
import { encodeForm, parseForm } from './alipay-form.ts';
import { type ByteParams, signText } from './alipay-md5.ts';

/** `params` with sign and sign_type=MD5 appended, signed over their bytes in `charset`. */
export function signRequest(params: Readonly<Record<string, string>>, key: string, charset: Charset): [string, string][] {
  return [...Object.entries(params), ['sign', signText(Object.entries(params), key, charset)], ['sign_type', 'MD5']];
}

/** The signed request as a query string / form body, values percent-encoded in `charset`. */
export function signedQuery(params: Readonly<Record<string, string>>, key: string, charset: Charset): string {
  return encodeForm(signRequest(params, key, charset), charset);
}

/** The body's parameters; none when it is malformed or names a parameter twice (which copy would be signed?). */
function paramsOf(body: Buffer): ByteParams {
  try {
    const pairs = parseForm(body).map(({ name, value }): [string, Buffer] => [name.toString('latin1'), value]);
    const params = new Map(pairs);
    return params.size === pairs.length ? params : new Map();
  } catch {
    return new Map();
  }
}

export interface ReceivedNotification {
  /** The body exactly as it arrived. */
  readonly body: Buffer;
  readonly contentType: string | undefined;
  /** The body's parameters as bytes, ready for a signature check. */
  readonly params: ByteParams;
  /** notify_id as received (ASCII). */
  readonly notifyId: string;
  readonly tradeStatus: string;
  /** Milliseconds since the endpoint started. */
  readonly at: number;
}

/** What the endpoint answers: a body with HTTP 200, a status and body, or no answer at all. */
export type MerchantAnswer = string | { status: number; body: string } | 'hang';

export interface ScriptedMerchant {
  readonly url: string;
  /** `${url}/alipay/notify` */
  readonly notifyUrl: string;
  /** `${url}/alipay/return` (the endpoint answers 200 to GETs there; tests usually read the 302 instead). */
  readonly returnUrl: string;
  readonly received: readonly ReceivedNotification[];
  /** Decides each answer; `index` counts every notification received so far, from 0. Default: always `success`. */
  answer: (n: ReceivedNotification, index: number) => MerchantAnswer;
  /** Resolves once `count` notifications in all have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<readonly ReceivedNotification[]>;
  /** Connections open right now (a send left hanging keeps one open until the sender gives up). */
  openConnections(): number;
  close(): Promise<void>;
}

export async function startScriptedMerchant(): Promise<ScriptedMerchant> {
  const received: ReceivedNotification[] = [];
  const waiters = new Set<() => void>();
  const started = Date.now();
  const merchant: Partial<ScriptedMerchant> & { answer: ScriptedMerchant['answer'] } = { answer: () => 'success' };

  const { url, openConnections, close } = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('return page');
        return;
      }
      const body = Buffer.concat(chunks);
      const params = paramsOf(body);
      const n: ReceivedNotification = {
        body,
        contentType: req.headers['content-type'],
        params,
        notifyId: params.get('notify_id')?.toString('latin1') ?? '',
        tradeStatus: params.get('trade_status')?.toString('latin1') ?? '',
        at: Date.now() - started,
      };
      const index = received.length;
      received.push(n);
      for (const w of waiters) w();
      const answer = merchant.answer(n, index);
      if (answer === 'hang') return;
      if (typeof answer === 'string') res.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
      else res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    });
  });

  return Object.assign(merchant, {
    url,
    notifyUrl: `${url}/alipay/notify`,
    returnUrl: `${url}/alipay/return`,
    received,
    waitFor(count: number, timeoutMs = 5000): Promise<readonly ReceivedNotification[]> {
      return new Promise<readonly ReceivedNotification[]>((resolve, reject) => {
        const check = (): void => {
          if (received.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the merchant received ${received.length} notification(s), not ${count}, within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    openConnections,
    close,
  }) as ScriptedMerchant;
}
