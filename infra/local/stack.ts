// The whole flow on one machine: DynamoDB Local (a Java child process), the tables, the four handlers behind the
// API Gateway adapter, the demo shop, and the Alipay sandbox, all on 127.0.0.1. `npm start` and the end-to-end
// tests both run this.
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resetApp } from '../../shared/app.ts';
import { ConfigError, loadConfig } from '../../shared/config.ts';
import { createDynamoClient } from '../../shared/store/client.ts';
import { ensureTables } from '../../shared/store/tables.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { apiGatewayListener } from './http-adapter.ts';
import { listenOnLoopback } from './loopback-server.ts';
import { ROUTES } from './routes.ts';
import { OPENAPI_ROUTE } from './openapi-route.ts';
import { handler as reconcileHandler } from '../../functions/reconcile.ts';
import { startSandbox, type DeliveryKnobs, type Sandbox, type SandboxOptions } from './sandbox/index.ts';
import { resolveOptions } from './sandbox/options.ts';
import { storefrontHandler } from './storefront.ts';
import { isConsoleTarget } from '../console/console.ts';
import { localConsole } from '../console/local.ts';
import { type LocalOrderEvents, startOrderEvents } from './order-events.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Fake credentials for the local stack only: not secret, printed at start, replaced by the same variables as in AWS. */
export const LOCAL_DEFAULTS = {
  ALIPAY_PARTNER: '2088000000000001',
  ALIPAY_KEY: 'localsandboxfakekey0000000000000',
  STOREFRONT_TOKEN: 'local-demo-storefront-token-not-secret',
  ORDERS_TABLE: 'local-alipay-orders',
  NOTIFICATIONS_TABLE: 'local-alipay-notifications',
} as const;

/**
 * What a running stack tells the operator CLI (`npm run alipay -- orders`, …), in `stack.json` inside its data folder
 * while it runs. Never the key: only whether it is the fake local default.
 */
export interface LocalStackFile {
  pid: number;
  startedAt: string;
  apiUrl: string;
  sandboxUrl: string;
  dynamodbEndpoint: string;
  tables: { orders: string; notifications: string };
  partner: string;
  charset?: string;
  /** The handlers use LOCAL_DEFAULTS.ALIPAY_KEY; false: a key the user set, which the CLI must be given too. */
  localDefaultKey: boolean;
}

/** Where DynamoDB Local keeps its data: LOCAL_DATA_DIR, else .local/dynamodb. */
export const localDataDir = (env: Readonly<Record<string, string | undefined>>): string =>
  path.resolve(env.LOCAL_DATA_DIR || path.join(ROOT, '.local', 'dynamodb'));

/** The stack file of a data folder. */
export const localStackFile = (dataDir: string): string => path.join(dataDir, 'stack.json');

export interface LocalStackOptions {
  /** Where settings come from (default process.env): PORT, SANDBOX_PORT, ALIPAY_*, STOREFRONT_TOKEN, … */
  env?: Readonly<Record<string, string | undefined>>;
  /** Handler (and shop) port; 0 = any free port. Default PORT, else 3000. */
  port?: number;
  /** Sandbox port; 0 = any free port. Default SANDBOX_PORT, else 3001. */
  sandboxPort?: number;
  /**
   * Keep DynamoDB data in this folder between runs, with `stack.json` for the CLI while the stack runs; `null` = in
   * memory, no stack file. Default LOCAL_DATA_DIR, else `.local/dynamodb`.
   */
  dataDir?: string | null;
  /** Sandbox behaviour (retry speed-up, delivery knobs, instant mode); env SANDBOX_* fill what is not given. */
  sandbox?: Partial<Pick<SandboxOptions, 'retrySpeedup' | 'instantMode' | 'returnIdTtlMs' | 'knobs'>>;
  /** Where Alipay should call us back (default: the handler URL). Tests put a proxy here. */
  publicBaseUrl?: string;
  /** Lines worth showing a person (sandbox activity); default: nowhere. */
  log?: (line: string) => void;
  /** How the demo shop calls the API (default: global fetch); the browser tests check its calls against the API document. */
  shopFetch?: typeof fetch;
}

export interface LocalStack {
  /** The handlers: POST /payments, GET /payments/{outTradeNo}, POST /alipay/notify, GET /alipay/return. */
  apiUrl: string;
  /** The demo shop's product page. */
  shopUrl: string;
  /** The orders console (`${apiUrl}/console`). */
  consoleUrl: string;
  sandbox: Sandbox;
  /** Order events: the local bus and the shop's webhook (infra/local/order-events.ts). */
  orderEvents: LocalOrderEvents;
  dynamodbEndpoint: string;
  /** The environment the handlers run with (includes the key: never print it whole). */
  env: Readonly<Record<string, string>>;
  /** Which of partner, key and token are the fake local defaults (so they may be printed). */
  defaults: { partner: boolean; key: boolean; token: boolean };
  dataDir: string | null;
  stop(): Promise<void>;
}

export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
}

function portSetting(value: number | undefined, env: string | undefined, name: string, fallback: number): number {
  if (value !== undefined) return value;
  if (env === undefined || env === '') return fallback;
  if (!/^\d{1,5}$/.test(env) || Number(env) > 65535) throw new LocalStackError(`${name}="${env}" is not a port number`);
  return Number(env);
}

function numberSetting(env: string | undefined, name: string): number | undefined {
  if (env === undefined || env === '') return undefined;
  const n = Number(env);
  if (!Number.isFinite(n) || n < 0) throw new LocalStackError(`${name}="${env}" is not a non-negative number`);
  return n;
}

/** Checks a port is free before anything slow starts, so a taken port fails in milliseconds. */
async function ensureFree(port: number, variable: string): Promise<void> {
  if (port === 0) return;
  await (await listenOnLoopback(undefined, { port, variable })).close();
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  // A copy: the handlers' settings are written into process.env below.
  const env: Readonly<Record<string, string | undefined>> = { ...(options.env ?? process.env) };
  const setting = (name: keyof typeof LOCAL_DEFAULTS) => env[name] || LOCAL_DEFAULTS[name];
  const port = portSetting(options.port, env.PORT, 'PORT', 3000);
  const sandboxPort = portSetting(options.sandboxPort, env.SANDBOX_PORT, 'SANDBOX_PORT', 3001);
  if (port !== 0 && port === sandboxPort) {
    throw new LocalStackError(`PORT and SANDBOX_PORT are both ${port}: the handlers and the sandbox need a port each; set SANDBOX_PORT to another port (e.g. ${port + 1})`);
  }

  // Every setting is checked before anything starts: a stack that cannot work is never started. The handlers' own
  // check (shared/config.ts, as in Lambda) runs on what they will be given, with the URLs not known yet filled in.
  const partner = setting('ALIPAY_PARTNER');
  const key = setting('ALIPAY_KEY');
  const placeholder = `http://127.0.0.1:${port || 3000}`;
  await checkHandlerSettings(handlerSettings(env, options, { partner, key, apiUrl: placeholder, gatewayUrl: `${placeholder}/gateway.do`, dynamodbEndpoint: placeholder }));
  const sandboxOptions: Omit<SandboxOptions, 'port' | 'accounts' | 'dataDir' | 'onLog'> = {
    // Options given in code win over SANDBOX_* variables; the sandbox fills in what neither sets.
    retrySpeedup: options.sandbox?.retrySpeedup ?? numberSetting(env.SANDBOX_RETRY_SPEEDUP, 'SANDBOX_RETRY_SPEEDUP'),
    instantMode: options.sandbox?.instantMode ?? ((env.SANDBOX_INSTANT_MODE || undefined) as SandboxOptions['instantMode']),
    returnIdTtlMs: options.sandbox?.returnIdTtlMs,
    knobs: { ...knobsFromEnv(env), ...options.sandbox?.knobs },
  };
  const accounts = [{ partner, key, ...(env.ALIPAY_SELLER_ID ? { sellerId: env.ALIPAY_SELLER_ID } : {}) }];
  checkSandboxSettings({ ...sandboxOptions, port: sandboxPort, accounts });
  const every = numberSetting(env.RECONCILE_EVERY_SECONDS, 'RECONCILE_EVERY_SECONDS') ?? 60;
  const dataDir = options.dataDir === undefined ? localDataDir(env) : options.dataDir;
  if (dataDir) checkDataDir(dataDir, options.dataDir === undefined ? 'LOCAL_DATA_DIR' : 'dataDir');
  if (env.DYNAMODB_ENDPOINT) await checkDynamoDbEndpoint(env.DYNAMODB_ENDPOINT);
  await ensureFree(port, 'PORT');
  await ensureFree(sandboxPort, 'SANDBOX_PORT');

  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    // DynamoDB: the given endpoint, or a DynamoDB Local of our own.
    let dynamodbEndpoint = env.DYNAMODB_ENDPOINT;
    if (!dynamodbEndpoint) {
      const ddb: DynamoDbLocal = await startDynamoDbLocal(dataDir ? { dbPath: dataDir } : {});
      cleanups.push(() => ddb.stop());
      dynamodbEndpoint = ddb.endpoint;
    }

    // The sandbox keeps its trades and refund batches beside DynamoDB's data, so Alipay's memory lasts as long as the
    // orders': .local/sandbox by default, <dir>/sandbox inside a LOCAL_DATA_DIR (or dataDir) you choose, and nothing
    // when DynamoDB is in memory.
    const sandboxDataDir = dataDir === null ? undefined
      : options.dataDir === undefined && !env.LOCAL_DATA_DIR ? path.join(ROOT, '.local', 'sandbox')
      : path.join(dataDir, 'sandbox');

    let apiUrl = ''; // known once the API listens, before anyone opens the log page
    const sandbox = await startSandbox({
      ...sandboxOptions,
      resultPageUrl: (outTradeNo) => `${apiUrl}/shop/result?outTradeNo=${encodeURIComponent(outTradeNo)}`,
      port: sandboxPort,
      ...(sandboxDataDir ? { dataDir: sandboxDataDir } : {}),
      accounts,
      onLog: options.log && ((e) => options.log!(`sandbox ${e.kind}${e.outTradeNo ? ` ${e.outTradeNo}` : ''}: ${e.detail}`)),
    });
    cleanups.push(() => sandbox.stop());

    const api = await listenOnLoopback(undefined, { port, variable: 'PORT' });
    cleanups.push(api.close);
    apiUrl = api.url;

    const handlerEnv = handlerSettings(env, options, { partner, key, apiUrl, gatewayUrl: sandbox.gatewayUrl, dynamodbEndpoint });

    // Creating tables is not a request anyone waits on: a minute per call.
    try {
      await ensureTables(createDynamoClient({ ...handlerEnv, DYNAMODB_REQUEST_TIMEOUT_MS: '60000' }), { orders: handlerEnv.ORDERS_TABLE!, notifications: handlerEnv.NOTIFICATIONS_TABLE! });
    } catch (err) {
      const where = env.DYNAMODB_ENDPOINT ? `DYNAMODB_ENDPOINT ${dynamodbEndpoint}` : `DynamoDB Local at ${dynamodbEndpoint}`;
      throw new LocalStackError(`could not create the tables at ${where}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }

    // The handlers read process.env once per cold start, as in Lambda.
    for (const name of ['ALIPAY_KEY_PARAMETER', 'STOREFRONT_TOKEN_PARAMETER', 'RETURN_RESULT_URL']) delete process.env[name];
    Object.assign(process.env, handlerEnv);
    resetApp();

    const events = await startOrderEvents({ dynamodbEndpoint, ordersTable: handlerEnv.ORDERS_TABLE!, webhookUrl: `${apiUrl}/shop/webhook`, log: options.log });
    cleanups.push(events.stop);
    const storefront = storefrontHandler({
      apiUrl,
      token: handlerEnv.STOREFRONT_TOKEN!,
      links: [{ label: 'Alipay sandbox log 沙箱日志', href: `${sandbox.url}/sandbox` }],
      ...(options.shopFetch ? { fetch: options.shopFetch } : {}),
    });
    const orderConsole = localConsole({ env: handlerEnv, apiUrl, sandbox });
    api.server.on('request', apiGatewayListener([...ROUTES, OPENAPI_ROUTE], {
      // The console, then the shop's webhook and fulfilment pages (infra/local/shop-webhook.ts), then its other pages.
      fallback: async (req, res) => {
        if (isConsoleTarget(req.target)) return orderConsole(req, res);
        if (!events.shop.handle(req, res)) await storefront(req, res);
      },
      onError: (err) => options.log?.(`handler error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
    }));

    // The schedule serverless.yml gives reconcile in AWS, here a timer (RECONCILE_EVERY_SECONDS, 0 turns it off).
    if (every > 0) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        reconcileHandler().catch((err: unknown) => options.log?.(`reconcile failed: ${err instanceof Error ? err.message : String(err)}`)).finally(() => (running = false));
      }, every * 1000);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
    }

    if (dataDir) {
      writeStackFile(dataDir, {
        pid: process.pid, startedAt: new Date().toISOString(), apiUrl, sandboxUrl: sandbox.url, dynamodbEndpoint,
        tables: { orders: handlerEnv.ORDERS_TABLE!, notifications: handlerEnv.NOTIFICATIONS_TABLE! }, partner,
        ...(handlerEnv.ALIPAY_CHARSET ? { charset: handlerEnv.ALIPAY_CHARSET } : {}), localDefaultKey: !env.ALIPAY_KEY,
      });
      cleanups.push(async () => removeStackFile(dataDir));
    }

    return {
      apiUrl,
      shopUrl: `${apiUrl}/`,
      consoleUrl: `${apiUrl}/console`,
      sandbox,
      orderEvents: events,
      dynamodbEndpoint,
      env: handlerEnv,
      defaults: { partner: !env.ALIPAY_PARTNER, key: !env.ALIPAY_KEY, token: !env.STOREFRONT_TOKEN },
      dataDir: env.DYNAMODB_ENDPOINT ? null : dataDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The environment the handlers run with, from the user's settings and the URLs of the running parts. */
function handlerSettings(
  env: Readonly<Record<string, string | undefined>>,
  options: LocalStackOptions,
  parts: { partner: string; key: string; apiUrl: string; gatewayUrl: string; dynamodbEndpoint: string },
): Record<string, string> {
  const setting = (name: keyof typeof LOCAL_DEFAULTS) => env[name] || LOCAL_DEFAULTS[name];
  const handlerEnv: Record<string, string> = {
    ALIPAY_PARTNER: parts.partner,
    ALIPAY_KEY: parts.key,
    ALIPAY_GATEWAY_URL: env.ALIPAY_GATEWAY_URL || parts.gatewayUrl,
    PUBLIC_BASE_URL: options.publicBaseUrl ?? env.PUBLIC_BASE_URL ?? parts.apiUrl,
    RETURN_RESULT_URL: env.RETURN_RESULT_URL ?? `${parts.apiUrl}/shop/result`,
    STOREFRONT_TOKEN: setting('STOREFRONT_TOKEN'),
    ORDERS_TABLE: setting('ORDERS_TABLE'),
    NOTIFICATIONS_TABLE: setting('NOTIFICATIONS_TABLE'),
    DYNAMODB_ENDPOINT: parts.dynamodbEndpoint,
  };
  // Locally an order waits one minute (not 30) before reconciliation asks Alipay about it, so a lost notification
  // is recovered while you watch.
  handlerEnv.RECONCILE_MIN_AGE_MINUTES = env.RECONCILE_MIN_AGE_MINUTES || '1';
  // DynamoDB Local on a developer's (busy) machine is slower than DynamoDB: more time per request; the request's
  // deadline still bounds each notify.
  handlerEnv.DYNAMODB_REQUEST_TIMEOUT_MS = env.DYNAMODB_REQUEST_TIMEOUT_MS || '20000';
  for (const name of [
    'ALIPAY_SELLER_ID', 'ALIPAY_CHARSET', 'NOTIFY_VERIFY_TIMEOUT_MS', 'NOTIFICATION_RETENTION_DAYS', 'HANDLER_DEADLINE_MS',
    'RECONCILE_CLOSE_AFTER_MINUTES', 'RECONCILE_MAX_ORDERS', 'ALIPAY_REFUND_MODE',
  ] as const) {
    if (env[name]) handlerEnv[name] = env[name]!;
  }
  if (handlerEnv.RETURN_RESULT_URL === '') delete handlerEnv.RETURN_RESULT_URL; // RETURN_RESULT_URL= : the handler's own page
  return handlerEnv;
}

/** The handlers' own configuration check, run before anything starts; names the variable the user set. */
async function checkHandlerSettings(handlerEnv: Record<string, string>): Promise<void> {
  try {
    await loadConfig(handlerEnv);
  } catch (err) {
    // "configuration: ALIPAY_KEY: ALIPAY_KEY is not an MD5 key…" → "ALIPAY_KEY is not an MD5 key…"
    if (err instanceof ConfigError) throw new LocalStackError(err.message.replace(/^configuration: /, '').replace(/^(\w+): (?=\1 )/, ''));
    throw err;
  }
  const timeout = handlerEnv.DYNAMODB_REQUEST_TIMEOUT_MS!;
  if (!/^[1-9]\d{0,6}$/.test(timeout)) throw new LocalStackError(`DYNAMODB_REQUEST_TIMEOUT_MS="${timeout}" is not a positive whole number of milliseconds`);
}

/** The sandbox's own option check, with its option names turned back into the SANDBOX_* variables that set them. */
function checkSandboxSettings(options: SandboxOptions): void {
  try {
    resolveOptions(options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const named = message.replace(/^sandbox: /, '')
      .replace(/^knob duplicate/, 'SANDBOX_DUPLICATE').replace(/^knob delayMs/, 'SANDBOX_DELAY_MS')
      .replace(/^instantMode/, 'SANDBOX_INSTANT_MODE').replace(/^retrySpeedup/, 'SANDBOX_RETRY_SPEEDUP')
      .replace(/^accounts\[0\]\.partner/, 'ALIPAY_PARTNER').replace(/^accounts\[0\]\.key/, 'ALIPAY_KEY').replace(/^accounts\[0\]\.sellerId/, 'ALIPAY_SELLER_ID');
    throw new LocalStackError(named);
  }
}

/** The data folder must be a folder we can create and write in. */
function checkDataDir(dir: string, variable: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'it (or a part of its path) is a file, not a folder'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'it is not writable by you'
      : (err as Error).message;
    throw new LocalStackError(`${variable}=${dir} cannot hold the local data: ${why}. Point ${variable} at a folder you can write to (it is created if missing)`);
  }
}

/** DYNAMODB_ENDPOINT must be a URL that answers HTTP, or nothing could be stored. */
async function checkDynamoDbEndpoint(endpoint: string): Promise<void> {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    const guess = /^[\w.-]+:\d+$/.test(endpoint) ? ` (did you mean http://${endpoint}?)` : '';
    throw new LocalStackError(`DYNAMODB_ENDPOINT="${endpoint}" is not a URL: write it in full, like http://127.0.0.1:8000${guess}; or unset it and npm start runs its own DynamoDB Local`);
  }
  // node:http rather than fetch: fetch refuses some ports outright ("bad port"), DynamoDB may listen on any.
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', timeout: 10_000 }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    req.on('error', resolve);
    req.end();
  });
  if (problem) {
    const why = problem.code === 'ECONNREFUSED' ? 'refused the connection (nothing listens there)'
      : problem.code === 'ENOTFOUND' || problem.code === 'EAI_AGAIN' ? `names a host that does not resolve (${url.hostname})`
      : problem.code === 'ETIMEDOUT' ? 'did not answer within 10 s'
      : `cannot be reached (${problem.code ?? problem.message})`;
    throw new LocalStackError(`DYNAMODB_ENDPOINT ${endpoint} ${why}: start DynamoDB there, fix the URL, or unset DYNAMODB_ENDPOINT and npm start runs its own DynamoDB Local`);
  }
}

function writeStackFile(dataDir: string, content: LocalStackFile): void {
  mkdirSync(dataDir, { recursive: true });
  const file = localStackFile(dataDir);
  // Whole or not at all: a CLI reading it meanwhile never sees half a file.
  writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(content, null, 2)}\n`);
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** Removes the stack file if it is still this process's (another stack on the same data may have written it since). */
function removeStackFile(dataDir: string): void {
  const file = localStackFile(dataDir);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as LocalStackFile).pid === process.pid) rmSync(file);
  } catch {
    // already gone, or not ours to read
  }
}

function knobsFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<DeliveryKnobs> {
  const knobs: Partial<DeliveryKnobs> = {};
  const duplicate = numberSetting(env.SANDBOX_DUPLICATE, 'SANDBOX_DUPLICATE');
  const delayMs = numberSetting(env.SANDBOX_DELAY_MS, 'SANDBOX_DELAY_MS');
  if (duplicate !== undefined) knobs.duplicate = Math.floor(duplicate);
  if (delayMs !== undefined) knobs.delayMs = delayMs;
  if (env.SANDBOX_HOLD === '1' || env.SANDBOX_HOLD === 'true') knobs.hold = true;
  if (env.SANDBOX_DROP === '1' || env.SANDBOX_DROP === 'true') knobs.drop = true;
  return knobs;
}
