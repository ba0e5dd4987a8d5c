// One notification send: a form POST on a fresh connection, with a timeout, keeping the status and the answer's bytes.
import http from 'node:http';
import https from 'node:https';

export type SendOutcome =
  | { kind: 'answered'; status: number; body: Buffer }
  | { kind: 'failed'; error: string };

/** Enough to tell `success` from anything else and to show the start of an error page. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function postForm(url: string, body: string, contentType: string, timeoutMs: number, signal: AbortSignal): Promise<SendOutcome> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ kind: 'failed', error: `notify_url ${url} is not a URL` });
      return;
    }
    const payload = Buffer.from(body, 'latin1');
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const req = client.request(target, {
      method: 'POST',
      agent: false, // a new connection per send, closed afterwards: nothing lingers after stop()
      headers: { 'content-type': contentType, 'content-length': payload.length, connection: 'close', 'user-agent': 'alipay-sandbox' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ kind: 'failed', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    const onAbort = (): void => {
      req.destroy();
      finish({ kind: 'failed', error: 'the sandbox stopped' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish({ kind: 'failed', error: err.message || (err as NodeJS.ErrnoException).code || 'network error' }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish({ kind: 'answered', status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', (err) => finish({ kind: 'failed', error: `reading the answer failed: ${err.message}` }));
      res.on('close', () => finish({ kind: 'failed', error: 'the connection closed before the answer was complete' }));
    });
    if (signal.aborted) onAbort();
    else req.end(payload);
  });
}
