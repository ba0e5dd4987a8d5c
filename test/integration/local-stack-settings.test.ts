// Bad settings stop `npm start` before anything starts, with a message naming the variable the user set and saying
// what to fix: never a stack whose every checkout fails with "internal error", never `accounts[0].key` seconds later.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startLocalStack } from '../../infra/local/stack.ts';

const START = path.resolve('infra/local/start.ts');
const scratch = mkdtempSync(path.join(tmpdir(), 'alipay-settings-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function runStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', START], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', SANDBOX_PORT: '0', LOCAL_DATA_DIR: path.join(scratch, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

/** A port nothing listens on (bound, then closed). */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const aFile = path.join(scratch, 'a-file');
writeFileSync(aFile, 'not a folder');

const CASES: { env: Record<string, string>; message: RegExp }[] = [
  { env: { STOREFRONT_TOKEN: 'short' }, message: /STOREFRONT_TOKEN: is shorter than 16 characters/ },
  { env: { ALIPAY_CHARSET: 'latin1' }, message: /ALIPAY_CHARSET "latin1" is not supported: use "utf-8" or "gbk"/ },
  { env: { ALIPAY_KEY: 'too-short-fake-key' }, message: /ALIPAY_KEY is not an MD5 key: expected exactly 32 letters and digits/ },
  { env: { ALIPAY_KEY: 'fakefakefakefakefakefakefakefake ' }, message: /ALIPAY_KEY has leading or trailing whitespace/ },
  { env: { ALIPAY_PARTNER: 'seller@example.com' }, message: /ALIPAY_PARTNER looks like an email address/ },
  { env: { ALIPAY_SELLER_ID: '12345' }, message: /ALIPAY_SELLER_ID "12345" is not a partner id/ },
  { env: { HANDLER_DEADLINE_MS: 'soon' }, message: /HANDLER_DEADLINE_MS: "soon" is not a positive whole number/ },
  { env: { SANDBOX_DUPLICATE: '99' }, message: /SANDBOX_DUPLICATE must be a whole number from 0 to 20/ },
  { env: { DYNAMODB_ENDPOINT: 'localhost:8000' }, message: /DYNAMODB_ENDPOINT="localhost:8000" is not a URL: .*did you mean http:\/\/localhost:8000/ },
  { env: { LOCAL_DATA_DIR: aFile }, message: new RegExp(`LOCAL_DATA_DIR=${aFile} cannot hold the local data: .*not a folder.*Point LOCAL_DATA_DIR at a folder you can write to`) },
  { env: { LOCAL_DATA_DIR: path.join(aFile, 'below') }, message: /LOCAL_DATA_DIR=.* cannot hold the local data: .*not a folder/ },
  { env: { PORT: '38211', SANDBOX_PORT: '38211' }, message: /PORT and SANDBOX_PORT are both 38211: .*set SANDBOX_PORT to another port/ },
];

describe('npm start checks every setting before starting anything', () => {
  for (const { env, message } of CASES) {
    test(`${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`, async () => {
      // In process: the stack is never started, so no port is held and no Java runs (a started stack would resolve).
      await assert.rejects(startLocalStack({ env: { PORT: '0', SANDBOX_PORT: '0', LOCAL_DATA_DIR: path.join(scratch, 'data'), ...env } }), message);
      assert.equal(existsSync(path.join(scratch, 'data', 'stack.json')), false, 'no stack file: nothing was started');
    });
  }

  test('a refused DYNAMODB_ENDPOINT says so and what to do, instead of UnknownError', async () => {
    const port = await refusedPort();
    await assert.rejects(startLocalStack({ dataDir: null, env: { PORT: '0', SANDBOX_PORT: '0', DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}` } }),
      new RegExp(`DYNAMODB_ENDPOINT http://127.0.0.1:${port} refused the connection .*unset DYNAMODB_ENDPOINT and npm start runs its own DynamoDB Local`));
  });

  test('as a process: exit 1 at once, the variable named, no URLs printed', async () => {
    const run = await runStart({ ALIPAY_KEY: 'too-short-fake-key' });
    assert.equal(run.code, 1);
    assert.match(run.output, /npm start: could not start the local stack: ALIPAY_KEY is not an MD5 key/);
    assert.doesNotMatch(run.output, /accounts\[0\]|http:\/\/127/);
  });
});
