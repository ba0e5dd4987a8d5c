// `npm start` as a user meets it: a process that starts the stack, prints its URLs, keeps data between runs,
// stops cleanly on SIGTERM, and fails fast with a clear message when a port is taken or Java is missing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startLocalStack } from '../../infra/local/stack.ts';
import { apiContract, contractFetch } from '../support/openapi-contract.ts';

const START = path.resolve('infra/local/start.ts');
const dataDir = mkdtempSync(path.join(tmpdir(), 'alipay-local-stack-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runStart(env: Record<string, string | undefined>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', START], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', SANDBOX_PORT: '0', LOCAL_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exit };
}

async function urlsOf(run: Run): Promise<Record<string, string>> {
  // Far above the few seconds it takes, for a crowded machine; the stack's own DynamoDB Local wait is 120 s.
  const deadline = Date.now() + 180_000;
  while (!run.output().includes('Ctrl-C stops')) {
    if (run.child.exitCode !== null || Date.now() > deadline) assert.fail(`npm start did not come up:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = (label: string) => new RegExp(`${label}\\s+(http://127\\.0\\.0\\.1:\\d+[^\\s]*)`).exec(run.output())?.[1] ?? assert.fail(`no ${label} line in:\n${run.output()}`);
  return { shop: url('Demo shop'), api: url('Payments API'), gateway: url('Alipay sandbox'), log: url('Sandbox log'), dynamodb: url('DynamoDB Local') };
}

const token = 'local-demo-storefront-token-not-secret';

describe('npm start', () => {
  test('prints one line per URL, serves shop, API and sandbox, keeps orders between runs, stops on SIGTERM', async () => {
    const first = runStart({});
    const urls = await urlsOf(first);
    assert.match(first.output(), /MD5 key\s+localsandboxfakekey0{13}\s+\(fake local default/);
    assert.equal((await fetch(urls.shop!)).status, 200);
    assert.match(await (await fetch(urls.log!)).text(), /<table/i);
    assert.deepEqual(await (await fetch(`${urls.api}/openapi.json`)).json(), apiContract().doc, 'GET /openapi.json serves infra/api/openapi.json');
    const created = await contractFetch(`${urls.api}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'create_direct_pay_by_user', outTradeNo: 'kept-between-runs', subject: 'persisted', totalFee: '1.00' }),
    });
    assert.ok([200, 201].includes(created.status), `POST /payments answered ${created.status}`);
    assert.equal(((await created.json()) as { form: { action: string } }).form.action.startsWith(urls.gateway!), true, 'the handlers use the sandbox as gateway');

    first.child.kill('SIGTERM');
    assert.deepEqual(await first.exit, { code: 0, signal: null });
    assert.match(first.output(), /stopped\./);
    await assert.rejects(fetch(urls.dynamodb!, { method: 'POST', signal: AbortSignal.timeout(2_000) }), 'DynamoDB Local is stopped with the stack');
    assert.ok(readdirSync(dataDir).some((f) => f.endsWith('.db')), `DynamoDB data file in ${dataDir}`);

    const second = runStart({});
    const again = await urlsOf(second);
    const status = await contractFetch(`${again.api}/payments/kept-between-runs`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(status.status, 200, 'the order from the first run is still there');
    second.child.kill('SIGINT');
    assert.equal((await second.exit).code, 0);
  });

  test('a taken PORT fails at once, naming the variable, before anything is started', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startLocalStack({ port, sandboxPort: 0, dataDir: null, env: {} }), new RegExp(`port ${port} is already in use: .*set PORT`));
      await assert.rejects(startLocalStack({ port: 0, sandboxPort: port, dataDir: null, env: {} }), new RegExp(`port ${port} is already in use: .*set SANDBOX_PORT`));
      const run = runStart({ PORT: String(port) });
      assert.equal((await run.exit).code, 1);
      assert.match(run.output(), new RegExp(`could not start the local stack: port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  test('without Java it stops with a message saying what to install', async () => {
    const run = runStart({ PATH: '/nonexistent' });
    assert.equal((await run.exit).code, 1);
    assert.match(run.output(), /Java 17 is required for DynamoDB Local: install openjdk-17-jre-headless/);
  });
});
