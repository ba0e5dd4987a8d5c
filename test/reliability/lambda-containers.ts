// Lambda-like containers for the crash scenario: each a child process running the real handlers, serving one request at
// a time (as a Lambda execution environment does), killable mid-request; a killed one is replaced by a cold start.
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SignedMessage } from '../support/alipay-messages.ts';
import type { Answer } from './alipay-simulator.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = 'test/reliability/lambda-container-main.ts';
const START_TIMEOUT_MS = 120_000;
/** How long Alipay waits for an answer before counting the send as failed [inference: not documented]. */
const ALIPAY_WAIT_MS = 60_000;

export interface Container {
  readonly id: number;
  readonly url: string;
  /** The notify_id of the request it is serving, if any. */
  serving: string | undefined;
  readonly child: ChildProcess;
}

export class LambdaContainers {
  private readonly idle: Container[] = [];
  private readonly all = new Set<Container>();
  private readonly waiters: ((c: Container) => void)[] = [];
  private nextId = 1;
  private stopped = false;
  /** Containers started, the first `size` included. */
  starts = 0;
  kills = 0;

  constructor(private readonly size: number, private readonly env: NodeJS.ProcessEnv) {}

  async start(): Promise<this> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawnOne()));
    return this;
  }

  /** POSTs a notification to notify_url on the next free container. */
  async notify(message: SignedMessage): Promise<Answer> {
    const container = await this.acquire();
    container.serving = message.notifyId;
    const t0 = performance.now();
    try {
      const answer = await post(`${container.url}/alipay/notify`, message.bytes);
      return { ...answer, ms: performance.now() - t0 };
    } finally {
      container.serving = undefined;
      if (this.all.has(container)) this.release(container);
    }
  }

  /** The container serving a notification with this notify_id right now. */
  servingNotifyId(notifyId: string): Container | undefined {
    return [...this.all].find((c) => c.serving === notifyId);
  }

  /** Kills the container at once (SIGKILL: no cleanup, as when Lambda's process dies) and starts a replacement. */
  async kill(container: Container): Promise<void> {
    if (!this.all.delete(container)) return;
    this.kills++;
    const exited = new Promise<void>((resolve) => {
      if (container.child.exitCode !== null || container.child.signalCode !== null) resolve();
      else container.child.once('exit', () => resolve());
    });
    container.child.kill('SIGKILL');
    await exited;
    if (!this.stopped) void this.spawnOne().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.all].map(async (c) => {
      this.all.delete(c);
      const exited = new Promise<void>((resolve) => (c.child.exitCode !== null || c.child.signalCode !== null ? resolve() : c.child.once('exit', () => resolve())));
      c.child.kill('SIGKILL');
      await exited;
    }));
  }

  private acquire(): Promise<Container> {
    const c = this.idle.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(c: Container): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(c);
    else this.idle.push(c);
  }

  private async spawnOne(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { cwd: root, env: this.env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.starts++;
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`a container did not start within ${START_TIMEOUT_MS} ms: ${text.slice(-500)}`)), START_TIMEOUT_MS);
      child.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const m = /READY (http:\/\/\S+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`a container exited while starting (${code ?? signal}): ${text.slice(-500)}`));
      });
    });
    child.stderr!.resume();
    child.unref();
    (child.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
    if (this.stopped) {
      child.kill('SIGKILL');
      return;
    }
    const container: Container = { id: this.nextId++, url, serving: undefined, child };
    this.all.add(container);
    this.release(container);
  }
}

/** One POST as Alipay makes it: a new connection, the form body, the answer text or nothing. */
function post(url: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': body.length, 'user-agent': 'Mozilla/4.0' },
      timeout: ALIPAY_WAIT_MS,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ noAnswer: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ALIPAY_WAIT_MS} ms`)));
    req.on('error', (err) => resolve({ noAnswer: err.message }));
    req.end(body);
  });
}
