// The Lambda artifacts as deployed: `npm run build`'s zips, each index.js taken out of its zip and run in a fresh Node
// process outside the repo (no node_modules to fall back on), the way the nodejs22.x runtime loads `index.handler`,
// against DynamoDB Local, a fake notify_verify and a fake SSM. A module left out of a bundle, a broken dynamic
// import or a missing GBK table fails here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32, inflateRawSync } from 'node:zlib';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as esbuild from 'esbuild';
import { build, DIST, ROOT, type FunctionArtifact } from '../../infra/build/build.ts';
import { LAMBDA_FUNCTIONS } from '../../infra/build/functions.ts';
import { writeZip } from '../../infra/build/zip.ts';
import { listenOnLoopback, type LoopbackServer } from '../../infra/local/loopback-server.ts';
import { encodeForm } from '../../shared/alipay/form.ts';
import { signParams } from '../../shared/alipay/sign.ts';
import { ensureTables } from '../../shared/store/tables.ts';
import { notification, returnQuery, SUBJECT, TEST_PARTNER } from '../support/alipay-messages.ts';
import { testDynamoClient, uniqueTableName } from '../support/dynamodb.ts';
import { httpEvent, readResult, type HttpAnswer } from '../support/events.ts';
import { GENEROUS_BUDGETS } from '../support/app-env.ts';
import { startFakeGateway, type FakeGateway } from '../support/fake-gateway.ts';
import { paymentExample } from '../support/payments.ts';

const KEY = '10000000000000000000000000000000';
const PARTNER = TEST_PARTNER; // 2088101568358171, also the seller of the notifications below
const TOKEN = 'bundle-test-storefront-token-0001';
const PUBLIC_BASE_URL = 'https://pay.example.com';
const KEY_PARAMETER = '/alipay-serverless/test/alipay-key';
const TOKEN_PARAMETER = '/alipay-serverless/test/storefront-token';

// ---------------------------------------------------------------------------------------------------------------
// Reading a zip back: central directory -> local header -> inflate, checking what the writer promised.

interface ZipFile {
  name: string;
  data: Buffer;
  /** Unix mode from the external attributes. */
  mode: number;
  /** The "made by" host (3 = Unix). */
  host: number;
  dosDate: number;
  dosTime: number;
}

function readZip(zip: Buffer): ZipFile[] {
  const end = zip.length - 22; // no archive comment
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  assert.equal(at + directorySize, end, 'the central directory ends where the end record starts');
  const files: ZipFile[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
    assert.equal(zip.readUInt16LE(local + 8), method);
    assert.equal(zip.readUInt32LE(local + 14), crc);
    assert.equal(zip.toString('utf8', local + 30, local + 30 + zip.readUInt16LE(local + 26)), name);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const stored = zip.subarray(start, start + compressedSize);
    assert.ok(method === 0 || method === 8, `method ${method}`);
    const data = method === 8 ? inflateRawSync(stored) : Buffer.from(stored);
    assert.equal(data.length, size, `size of ${name}`);
    assert.equal(crc32(data), crc, `CRC-32 of ${name}`);
    files.push({ name, data, mode: zip.readUInt32LE(at + 38) >>> 16, host: zip.readUInt16LE(at + 4) >> 8, dosTime: zip.readUInt16LE(at + 12), dosDate: zip.readUInt16LE(at + 14) });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a bundle as Lambda does: require index.js, call handler(event, context), answer its result.

const DRIVER = `"use strict";
// Loads a Lambda bundle like the nodejs runtime does for "index.handler" and writes the handler's result as JSON.
const fs = require("node:fs");
const [bundle, eventFile, resultFile] = process.argv.slice(2);
const { handler } = require(bundle);
if (typeof handler !== "function") throw new Error(bundle + " does not export a handler function");
const context = { awsRequestId: "bundle-test", functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, getRemainingTimeInMillis: () => 10000 };
Promise.resolve(handler(JSON.parse(fs.readFileSync(eventFile, "utf8")), context)).then(
  (result) => fs.writeFileSync(resultFile, JSON.stringify(result === undefined ? null : result)),
  (err) => { console.error("handler threw:", err); process.exitCode = 1; },
);
`;

interface Invocation {
  answer: HttpAnswer;
  /** The handler's JSON log lines. */
  logs: Record<string, unknown>[];
}

let work = '';
let invocations = 0;

/** The environment Lambda and serverless.yml give a function, here pointing at the local fakes. */
function lambdaEnv(name: string, config: Record<string, string>): Record<string, string> {
  return {
    AWS_REGION: process.env.AWS_REGION || 'us-east-1', // DynamoDB Local keeps one database per region and access key
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: `alipay-serverless-test-${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: path.join(work, name),
    TZ: ':UTC',
    HOME: work,
    NODE_PATH: '',
    ...config,
  };
}

async function invoke(name: string, event: APIGatewayProxyEventV2, config: Record<string, string>): Promise<Invocation> {
  const n = ++invocations;
  const eventFile = path.join(work, `event-${n}.json`);
  const resultFile = path.join(work, `result-${n}.json`);
  await writeFile(eventFile, JSON.stringify(event));
  const child = spawn(process.execPath, [path.join(work, 'invoke.cjs'), path.join(work, name, 'index.js'), eventFile, resultFile], {
    cwd: path.join(work, name), env: lambdaEnv(name, config), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  assert.equal(code, 0, `${name}/index.js exited with ${code}:\n${stderr}${stdout}`);
  const result: unknown = JSON.parse(await readFile(resultFile, 'utf8'));
  assert.ok(result !== null && typeof result === 'object', `${name} answered ${JSON.stringify(result)}`);
  const logs = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { answer: readResult(result), logs };
}

// ---------------------------------------------------------------------------------------------------------------
// A stand-in for SSM's GetParameter (JSON 1.1 protocol), for the deployed configuration (*_PARAMETER variables).

class FakeSsm {
  readonly requests: string[] = [];
  private server: LoopbackServer | undefined;
  constructor(private readonly parameters: Record<string, string>) {}

  async start(): Promise<this> {
    this.server = await listenOnLoopback((req, res) => this.handle(req, res));
    return this;
  }

  get url(): string {
    return this.server!.url;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Name?: string; WithDecryption?: boolean };
      this.requests.push(`${req.url} ${req.headers['x-amz-target']} ${input.Name} ${input.WithDecryption}`);
      const value = input.Name === undefined ? undefined : this.parameters[input.Name];
      const [status, body] = req.headers['x-amz-target'] !== 'AmazonSSM.GetParameter' ? [400, { __type: 'UnknownOperationException' }]
        : value === undefined ? [400, { __type: 'ParameterNotFound', message: `no parameter ${input.Name}` }]
        : [200, { Parameter: { Name: input.Name, Type: 'SecureString', Value: value, Version: 1 } }];
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The longest text of an iconv-lite table as it is printed in a minified bundle (esbuild escapes non-ASCII). */
function tableMarker(table: string): string {
  const rows = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/iconv-lite/encodings/tables', table), 'utf8')) as unknown[][];
  const longest = rows.flat().filter((v): v is string => typeof v === 'string').sort((a, b) => b.length - a.length)[0]!;
  // Printed the way the build prints text (minified, charset utf8), so it can be searched for in a bundle.
  const printed = /^x\((["'`])(.*)\1\);\n?$/s.exec(esbuild.transformSync(`x(${JSON.stringify(longest)})`, { minify: true, charset: 'utf8' }).code);
  assert.ok(printed && printed[2]!.length >= 20, `a long text in ${table}`);
  return printed[2]!;
}

const storefront = { Authorization: `Bearer ${TOKEN}` };
const createPaymentEvent = (body: unknown) => httpEvent({
  method: 'POST', path: '/payments', routeKey: 'POST /payments',
  headers: { 'Content-Type': 'application/json', ...storefront }, body: JSON.stringify(body),
});
const orderStatusEvent = (outTradeNo: string) => httpEvent({
  method: 'GET', path: `/payments/${outTradeNo}`, routeKey: 'GET /payments/{outTradeNo}', headers: storefront, pathParameters: { outTradeNo },
});
const notifyEvent = (body: Buffer) => httpEvent({
  method: 'POST', path: '/alipay/notify', routeKey: 'POST /alipay/notify',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=gbk', 'User-Agent': 'Mozilla/4.0' }, body, base64: true,
});
const returnEvent = (rawQueryString: string) => httpEvent({
  method: 'GET', path: '/alipay/return', routeKey: 'GET /alipay/return', rawQueryString, headers: { Accept: 'text/html' },
});

let artifacts: FunctionArtifact[] = [];
let gateway: FakeGateway;
let ssm: FakeSsm;
const tables = { orders: uniqueTableName('bundle-orders'), notifications: uniqueTableName('bundle-notifications') };
const client = testDynamoClient();
let config: Record<string, string> = {};

before(async () => {
  const [built] = await Promise.all([
    build({ quiet: true }),
    ensureTables(client, tables),
    startFakeGateway().then((g) => (gateway = g)),
    new FakeSsm({ [KEY_PARAMETER]: KEY, [TOKEN_PARAMETER]: TOKEN }).start().then((s) => (ssm = s)),
  ]);
  artifacts = built;
  work = await mkdtemp(path.join(tmpdir(), 'lambda-bundles-'));
  // Outside the repo nothing resolves from node_modules, so a module missing from a bundle cannot be found elsewhere.
  assert.throws(() => createRequire(path.join(work, 'x.js')).resolve('@aws-sdk/client-dynamodb'), /Cannot find module/);
  await writeFile(path.join(work, 'invoke.cjs'), DRIVER);
  for (const fn of LAMBDA_FUNCTIONS) {
    const [file] = readZip(await readFile(path.join(DIST, `${fn.name}.zip`)));
    await mkdir(path.join(work, fn.name));
    await writeFile(path.join(work, fn.name, file!.name), file!.data);
  }
  config = {
    ALIPAY_PARTNER: PARTNER,
    ALIPAY_KEY: KEY,
    PUBLIC_BASE_URL,
    STOREFRONT_TOKEN: TOKEN,
    ORDERS_TABLE: tables.orders,
    NOTIFICATIONS_TABLE: tables.notifications,
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT!,
    ALIPAY_GATEWAY_URL: gateway.url,
    ...GENEROUS_BUDGETS,
  };
});

after(async () => {
  await Promise.all([gateway?.stop(), ssm?.stop()]);
  await Promise.all([tables.orders, tables.notifications].map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  client.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run build', () => {
  test('writes dist/<name>/index.js, its source map beside it, and dist/<name>.zip holding exactly that index.js', async () => {
    assert.deepEqual(artifacts.map((a) => a.fn.name), LAMBDA_FUNCTIONS.map((f) => f.name));
    for (const fn of LAMBDA_FUNCTIONS) {
      const bundlePath = path.join(DIST, fn.name, 'index.js');
      assert.ok(existsSync(bundlePath), bundlePath);
      assert.ok(existsSync(`${bundlePath}.map`), `${bundlePath}.map`);
      const bundle = await readFile(bundlePath);
      const zip = await readFile(path.join(DIST, `${fn.name}.zip`));
      const files = readZip(zip);
      assert.deepEqual(files.map((f) => f.name), ['index.js'], `${fn.name}.zip holds index.js only (no source map)`);
      const [file] = files;
      assert.ok(file!.data.equals(bundle), `${fn.name}.zip's index.js is the built bundle`);
      assert.equal(file!.mode, 0o100644);
      assert.equal(file!.host, 3, 'made by Unix');
      assert.deepEqual([file!.dosDate, file!.dosTime], [(0 << 9) | (1 << 5) | 1, 0], '1980-01-01 00:00');
      assert.ok(writeZip([{ name: 'index.js', data: bundle }]).equals(zip), 'the same bundle zips to the same bytes');
      assert.match(bundle.toString('utf8'), /^"use strict";/, 'CommonJS');
    }
  });

  test('bundles iconv-lite with the GBK table and none of its other tables or encodings', async () => {
    const others = ['shiftjis.json', 'eucjp.json', 'cp949.json', 'cp950.json', 'big5-added.json'];
    const markers = Object.fromEntries(['cp936.json', 'gbk-added.json', ...others].map((t) => [t, tableMarker(t)]));
    // publish-events reads no Alipay message: it has no iconv-lite at all.
    for (const a of artifacts.filter((x) => x.fn.name !== 'publish-events')) {
      const iconvInputs = Object.keys(a.inputs).filter((f) => f.startsWith('node_modules/iconv-lite/encodings/'));
      assert.deepEqual(iconvInputs.sort(), [
        'node_modules/iconv-lite/encodings/dbcs-codec.js',
        'node_modules/iconv-lite/encodings/dbcs-data.js',
        'node_modules/iconv-lite/encodings/tables/cp936.json',
        'node_modules/iconv-lite/encodings/tables/gbk-added.json',
      ], a.fn.name);
      assert.ok(a.inputs['node_modules/iconv-lite/encodings/tables/cp936.json']! > 40_000, 'the whole cp936 table is in the bundle');
      const text = await readFile(a.bundlePath, 'utf8');
      assert.ok(text.includes(markers['cp936.json']!), `${a.fn.name}: cp936 table text`);
      assert.ok(text.includes(markers['gbk-added.json']!), `${a.fn.name}: gbk-added table text`);
      for (const t of others) assert.ok(!text.includes(markers[t]!), `${a.fn.name} must not contain ${t}`);
    }
  });
});

describe('the EventBridge client', () => {
  test('is in publish-events only: notify and every other handler load none of it', () => {
    const has = (a: FunctionArtifact) => Object.keys(a.inputs).some((f) => f.includes('node_modules/@aws-sdk/client-eventbridge/'));
    assert.deepEqual(artifacts.filter(has).map((a) => a.fn.name), ['publish-events']);
    const publisher = artifacts.find((a) => a.fn.name === 'publish-events')!;
    assert.ok(!Object.keys(publisher.inputs).some((f) => f.includes('node_modules/iconv-lite/') || f.includes('node_modules/@aws-sdk/client-ssm/')), 'publish-events carries neither iconv-lite nor the SSM client');
  });
});

describe('each bundle, run as Lambda runs it', () => {
  const example = paymentExample('create_direct_pay_by_user', { charset: 'gbk' });
  const outTradeNo = example.body.outTradeNo as string;

  test('create-payment: 201 with a form signed over the GBK bytes of the Chinese subject', async () => {
    const { answer } = await invoke('create-payment', createPaymentEvent(example.body), config);
    assert.equal(answer.status, 201, answer.body);
    const fields = answer.json.form.fields as Record<string, string>;
    assert.equal(answer.json.outTradeNo, outTradeNo);
    assert.equal(fields._input_charset, 'gbk');
    assert.equal(fields.subject, SUBJECT);
    assert.equal(fields.partner, PARTNER);
    assert.equal(fields.notify_url, `${PUBLIC_BASE_URL}/alipay/notify`);
    const { sign, sign_type: signType, ...signed } = fields;
    assert.equal(signType, 'MD5');
    assert.equal(sign, signParams(signed, KEY, 'gbk').sign, 'the sign the full iconv-lite computes here');
  });

  test('order-status: 200, CREATED', async () => {
    const { answer } = await invoke('order-status', orderStatusEvent(outTradeNo), config);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.json.status, 'CREATED');
    assert.equal(answer.json.totalFee, example.paidFee);
  });

  test('notify: a GBK notification, confirmed by notify_verify, is answered exactly "success"; the order is paid', async () => {
    const message = notification({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: example.paidFee }, { charset: 'gbk', key: KEY });
    assert.ok(message.encoded.includes(encodeForm([['subject', SUBJECT]], 'gbk')), 'the subject travels as GBK bytes');
    const { answer, logs } = await invoke('notify', notifyEvent(message.bytes), config);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'success', JSON.stringify(logs));
    assert.equal(gateway.callCount(message.notifyId), 1);
    assert.ok(logs.some((l) => l.msg === 'notify applied' && l.charset === 'gbk'), JSON.stringify(logs));

    const { answer: status } = await invoke('order-status', orderStatusEvent(outTradeNo), config);
    assert.equal(status.json.status, 'TRADE_SUCCESS');
    assert.equal(status.json.paidFee, example.paidFee);
  });

  test('return: a signed GBK return query shows the paid page', async () => {
    const query = returnQuery({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: example.paidFee }, { charset: 'gbk', key: KEY });
    const { answer } = await invoke('return', returnEvent(query.encoded), config);
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.headers['content-type']!, /^text\/html/);
    assert.match(answer.body, /data-result="paid"/);
    assert.ok(answer.body.includes(outTradeNo));
    assert.ok(answer.body.includes('支付成功'));
  });

  test('the deployed configuration: secrets read from SSM with one signed GetParameter request each (no @aws-sdk/client-ssm)', async () => {
    // Each function's SSM parameters as serverless.yml gives them (only what its handler needs).
    const parameters: Record<string, Record<string, string>> = {
      'create-payment': { ALIPAY_KEY_PARAMETER: KEY_PARAMETER, STOREFRONT_TOKEN_PARAMETER: TOKEN_PARAMETER },
      'order-status': { STOREFRONT_TOKEN_PARAMETER: TOKEN_PARAMETER },
      notify: { ALIPAY_KEY_PARAMETER: KEY_PARAMETER },
      return: { ALIPAY_KEY_PARAMETER: KEY_PARAMETER },
    };
    const deployed = (name: string) => {
      const { ALIPAY_KEY: _key, STOREFRONT_TOKEN: _token, ...rest } = config;
      // The path tells the fake SSM which function asked.
      return { ...rest, ...parameters[name], AWS_ENDPOINT_URL_SSM: `${ssm.url}/${name}` };
    };
    const again = notification({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: example.paidFee }, { charset: 'gbk', key: KEY });
    const query = returnQuery({ outTradeNo, tradeStatus: 'TRADE_SUCCESS', totalFee: example.paidFee }, { charset: 'gbk', key: KEY });
    const [created, status, notified, returned] = await Promise.all([
      invoke('create-payment', createPaymentEvent(example.body), deployed('create-payment')),
      invoke('order-status', orderStatusEvent(outTradeNo), deployed('order-status')),
      invoke('notify', notifyEvent(again.bytes), deployed('notify')),
      invoke('return', returnEvent(query.encoded), deployed('return')),
    ]);
    assert.equal(created.answer.status, 200, `the same request again: ${created.answer.body}`);
    assert.equal(status.answer.json.status, 'TRADE_SUCCESS', status.answer.body);
    assert.equal(notified.answer.body, 'success', JSON.stringify(notified.logs));
    assert.match(returned.answer.body, /data-result="paid"/);
    for (const [name, wanted] of Object.entries(parameters)) {
      const read = ssm.requests.filter((r) => r.startsWith(`/${name}/ `)).map((r) => r.slice(name.length + 3)).sort();
      assert.deepEqual(read, Object.values(wanted).map((p) => `AmazonSSM.GetParameter ${p} true`).sort(), `${name} reads its SSM parameters once, decrypted`);
    }
  });
});
