// The `alipay` CLI contract other tools depend on: sign, verify, --jsonl batches, explain, exit codes 0/1/2, ALIPAY_KEY;
// the operator commands' arguments and exit codes. A spawned case runs `node --import tsx infra/cli/alipay.ts` (about
// 0.5 s each, more in parallel on a small machine), so those are few; argument parsing is checked in process.
// The operator commands against DynamoDB Local: test/integration/cli-operator.test.ts and cli-local-stack.test.ts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { main } from '../../infra/cli/alipay.ts';
import { parseSince, UsageError, type Io } from '../../infra/cli/command.ts';
import { notifications } from '../../infra/cli/commands/notifications.ts';
import { order } from '../../infra/cli/commands/order.ts';
import { encodeCursor, orders } from '../../infra/cli/commands/orders.ts';
import { reconcile } from '../../infra/cli/commands/reconcile.ts';
import { replay } from '../../infra/cli/commands/replay.ts';
import { trigger } from '../../infra/cli/commands/trigger.ts';
import { runCli } from '../support/cli.ts';

/** chloerei/alipay's test key (vector A1). */
const KEY_1 = '10000000000000000000000000000000';
/** A recognisable fake key for explain, which must never print it. */
const FAKE_KEY = 'fakefakefakefakefakefakefakefake';

/** Runs the CLI with `args`, writes `stdin`, and collects the outcome; the environment has only what `env` gives. */
const cli = (args: string[], stdin = '', env: Record<string, string> = {}) => runCli(args, { stdin, env });

function md5Of(text: string, charset: 'utf-8' | 'gbk'): string {
  return createHash('md5').update(charset === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gbk')).digest('hex');
}

/** A request with a Chinese subject, so the charset changes the sign. */
const CHINESE = { service: 'create_direct_pay_by_user', partner: '2088101568358171', out_trade_no: '1', subject: '测试商品', total_fee: '0.01' };
const CHINESE_PRESIGN = 'out_trade_no=1&partner=2088101568358171&service=create_direct_pay_by_user&subject=测试商品&total_fee=0.01';
const SIGN_UTF8 = md5Of(CHINESE_PRESIGN + KEY_1, 'utf-8');
const SIGN_GBK = md5Of(CHINESE_PRESIGN + KEY_1, 'gbk');

const A1 = { service: 'test', partner: '123' };
const A1_SIGNED = { ...A1, sign: 'bbd13b52823b576291595f472ebcfbc2', sign_type: 'MD5' };

describe('alipay CLI', () => {
  test('sign: vector A1 gives {"presign","sign"} on stdout and exit 0', async () => {
    const r = await cli(['sign', '--key', KEY_1], JSON.stringify(A1));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { presign: 'partner=123&service=test', sign: 'bbd13b52823b576291595f472ebcfbc2' });
  });

  test('sign --charset gbk hashes the GBK bytes of Chinese text', async () => {
    assert.notEqual(SIGN_GBK, SIGN_UTF8);
    const r = await cli(['sign', '--key', KEY_1, '--charset', 'gbk'], JSON.stringify(CHINESE));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { presign: CHINESE_PRESIGN, sign: SIGN_GBK });
  });

  test('verify: a valid message prints {"valid": true} and exits 0', async () => {
    const r = await cli(['verify', '--key', KEY_1], JSON.stringify(A1_SIGNED));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.valid, true);
    assert.equal(typeof out.reason, 'string');
  });

  test('verify: a GBK-signed message checked as UTF-8 prints valid false with the likely cause, and exits 1', async () => {
    const r = await cli(['verify', '--key', KEY_1], JSON.stringify({ ...CHINESE, sign: SIGN_GBK, sign_type: 'MD5' }));
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.valid, false);
    assert.match(out.reason, /^mismatch: .*likely cause: the signer hashed the GBK bytes/);
  });

  describe('usage and input errors exit 2', () => {
    test('no command prints the usage', async () => {
      const r = await cli([]);
      assert.equal(r.code, 2);
      assert.match(r.stdout + r.stderr, /usage: npm run --silent alipay -- <command>/);
    });

    test('an unknown command is named', async () => {
      const r = await cli(['sing', '--key', KEY_1], JSON.stringify(A1));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown command "sing"/);
      assert.equal(r.stdout, '');
    });

    test('a missing key says where to put it', async () => {
      const r = await cli(['verify'], JSON.stringify(A1_SIGNED));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /verify needs --key K \(or ALIPAY_KEY in the environment\)/);
    });

    test('stdin that is not JSON is refused', async () => {
      const r = await cli(['sign', '--key', KEY_1], 'service=test&partner=123');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /stdin is not a JSON object/);
      assert.equal(r.stdout, '');
    });
  });

  test('sign --jsonl: one result per line in order; bad lines give {"error"} and do not stop the batch', async () => {
    const lines = [
      JSON.stringify({ params: A1, key: KEY_1, charset: 'utf-8' }),
      'this is not json',
      JSON.stringify({ params: { ...A1, total_fee: 1000.0 }, key: KEY_1, charset: 'utf-8' }),
      JSON.stringify({ params: CHINESE, key: KEY_1, charset: 'gbk' }),
      JSON.stringify({ params: CHINESE, key: KEY_1 }),
    ];
    const r = await cli(['sign', '--jsonl'], lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(out.length, 5);
    assert.deepEqual(out[0], { presign: 'partner=123&service=test', sign: 'bbd13b52823b576291595f472ebcfbc2' });
    assert.match(out[1].error, /not a JSON object/);
    assert.match(out[2].error, /parameter "total_fee" must be a string, got number/);
    assert.deepEqual(out[3], { presign: CHINESE_PRESIGN, sign: SIGN_GBK });
    assert.deepEqual(out[4], { presign: CHINESE_PRESIGN, sign: SIGN_UTF8 });
  });

  test('verify --jsonl: valid, invalid and broken lines each get their own result, in order', async () => {
    const lines = [
      JSON.stringify({ params: A1_SIGNED, key: KEY_1, charset: 'utf-8' }),
      JSON.stringify({ params: A1_SIGNED, key: '20000000000000000000000000000000', charset: 'utf-8' }),
      JSON.stringify({ params: { ...CHINESE, sign: SIGN_GBK, sign_type: 'MD5' }, key: KEY_1, charset: 'gbk' }),
      JSON.stringify({ params: A1_SIGNED, key: KEY_1, charset: 'latin1' }),
      JSON.stringify({ params: A1_SIGNED }),
    ];
    const r = await cli(['verify', '--jsonl'], lines.join('\n'));
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(out.length, 5);
    assert.equal(out[0].valid, true);
    assert.equal(out[1].valid, false);
    assert.match(out[1].reason, /^mismatch/);
    assert.equal(out[2].valid, true);
    assert.match(out[3].error, /"latin1" is not supported/);
    assert.match(out[4].error, /a key is required/);
  });

  test('explain: a GBK sign under a utf-8 declaration exits 1, names wrong_charset and never prints the key', async () => {
    const message = { ...CHINESE, _input_charset: 'utf-8' };
    const sign = md5Of(`_input_charset=utf-8&${CHINESE_PRESIGN}` + FAKE_KEY, 'gbk');
    const url = `https://mapi.alipay.com/gateway.do?${new URLSearchParams({ ...message, sign, sign_type: 'MD5' })}`;
    const r = await cli(['explain', '--key', FAKE_KEY], url);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /\[wrong_charset\]/);
    assert.match(r.stdout, /result: +MISMATCH/);
    assert.equal((r.stdout + r.stderr).includes('fakefake'), false);
  });

  test('explain with the key from ALIPAY_KEY instead of --key: a valid message exits 0', async () => {
    const r = await cli(['explain'], JSON.stringify(A1_SIGNED), { ALIPAY_KEY: KEY_1 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /result: +VALID/);
  });

  test('sign with a malformed key still signs, but warns on stderr (never silently, never echoing the key)', async () => {
    const short = await cli(['sign', '--key', 'short'], JSON.stringify(A1));
    assert.equal(short.code, 0, short.stderr);
    assert.equal(JSON.parse(short.stdout).presign, 'partner=123&service=test');
    assert.match(short.stderr, /warning: --key is 5 characters: an Alipay MD5 key is exactly 32 lower-case letters and digits/);
    const spaced = await cli(['sign'], JSON.stringify(A1), { ALIPAY_KEY: `${FAKE_KEY}\n` });
    assert.match(spaced.stderr, /warning: ALIPAY_KEY has leading or trailing whitespace/);
    assert.equal(spaced.stderr.includes('fakefake'), false);
    const good = await cli(['sign', '--key', KEY_1], JSON.stringify(A1));
    assert.equal(good.stderr, '');
  });

  test('explain refuses input that is neither a URL, a form body nor JSON: exit 2 and a message', async () => {
    const r = await cli(['explain', '--key', FAKE_KEY], 'hello world\n');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /neither a URL .*, a form body .* nor a JSON object/);
  });

  test('explain with the clean key finds a signer\'s key that had a trailing newline, and says so once', async () => {
    const sign = md5Of(`partner=123&service=test${FAKE_KEY}\n`, 'utf-8');
    const r = await cli(['explain', '--key', FAKE_KEY], `service=test&partner=123&sign=${sign}&sign_type=MD5`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.match(/\[key_whitespace\]/g)?.length, 1, r.stdout);
    assert.match(r.stdout, /signer's key has a trailing newline/);
  });
});

/** main() in this process, with what it writes. */
async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('operator commands: arguments', () => {
  const NOW = Date.parse('2024-05-01T08:00:00.000Z');

  test('order, notifications and replay take one id; --json and --apply are flags; where to look is a stage or an endpoint', () => {
    assert.deepEqual(order.parse(['T-1']), { outTradeNo: 'T-1', json: false, target: {} });
    assert.deepEqual(order.parse(['T-1', '--json', '--stage', 'prod']), { outTradeNo: 'T-1', json: true, target: { stage: 'prod' } });
    assert.deepEqual(notifications.parse(['T-1', '--endpoint', 'http://127.0.0.1:8000', '--orders-table', 'o', '--notifications-table', 'n']), {
      outTradeNo: 'T-1', json: false, target: { endpoint: 'http://127.0.0.1:8000', ordersTable: 'o', notificationsTable: 'n' },
    });
    assert.deepEqual(replay.parse(['rejected#n1#2024-05-01T08:00:00.000Z#ab', '--apply']), {
      eventId: 'rejected#n1#2024-05-01T08:00:00.000Z#ab', apply: true, json: false, target: {},
    });
    assert.throws(() => order.parse([]), new UsageError('missing <outTradeNo>'));
    assert.throws(() => order.parse(['T-1', 'T-2']), new UsageError('unexpected argument "T-2"'));
    assert.throws(() => order.parse(['T-1', '--jsn']), /Unknown option '--jsn'/);
    assert.throws(() => replay.parse(['n1', '--stage', 'prod/eu']), /--stage "prod\/eu" is not a stage name/);
  });

  test('orders: status, anomalies, since (a time or a span back), limit, cursor', () => {
    assert.deepEqual(orders.parse([]).query, { limit: 20 });
    const cursor = { TRADE_SUCCESS: '2024-05-01T07:00:00.000Z|T-9' };
    assert.deepEqual(orders.parse(['--status', 'TRADE_SUCCESS', '--anomalies', '--since', '2024-04-30', '--limit', '5', '--cursor', encodeCursor(cursor)]).query, {
      status: 'TRADE_SUCCESS', anomalies: true, since: '2024-04-30T00:00:00.000Z', limit: 5, cursor,
    });
    assert.throws(() => orders.parse(['--status', 'PAID']), /--status "PAID" is not an order status: use one of CREATED, WAIT_BUYER_PAY/);
    for (const limit of ['0', '-1', '1.5', 'ten', '1001']) assert.throws(() => orders.parse([`--limit=${limit}`]), /--limit must be a whole number from 1 to 1000/);
    assert.throws(() => orders.parse(['--cursor', 'not-a-cursor']), /--cursor is not a cursor this command printed/);
  });

  test('--since: ISO dates and times are UTC unless they say otherwise; spans count back from now', () => {
    assert.equal(parseSince('2024-05-01', () => NOW), '2024-05-01T00:00:00.000Z');
    assert.equal(parseSince('2024-05-01T09:30', () => NOW), '2024-05-01T09:30:00.000Z');
    assert.equal(parseSince('2024-05-01 09:30:00+08:00', () => NOW), '2024-05-01T01:30:00.000Z');
    assert.equal(parseSince('90m', () => NOW), '2024-05-01T06:30:00.000Z');
    assert.equal(parseSince('7d', () => NOW), '2024-04-24T08:00:00.000Z');
    for (const bad of ['yesterday', '2024-13-45', '5w', '']) assert.throws(() => parseSince(bad, () => NOW), /--since must be an ISO 8601 time/);
  });

  test('reconcile: --since, --dry-run, --max', () => {
    assert.deepEqual(reconcile.parse([]), { dryRun: false, json: false, target: {} });
    assert.deepEqual(reconcile.parse(['--dry-run', '--max', '50', '--since', '2024-05-01T08:00:00Z', '--stage', 'dev']), {
      since: '2024-05-01T08:00:00.000Z', dryRun: true, max: 50, json: false, target: { stage: 'dev' },
    });
    assert.throws(() => reconcile.parse(['--max', '0']), /--max must be a whole number from 1 to 10000/);
  });

  test('trigger: an order and a trade status, against the local sandbox only', () => {
    assert.deepEqual(trigger.parse(['T-1', 'TRADE_SUCCESS']), { outTradeNo: 'T-1', status: 'TRADE_SUCCESS' });
    assert.deepEqual(trigger.parse(['T-1', 'TRADE_SUCCESS', '--amount', '66.00', '--sandbox', 'http://127.0.0.1:3001/']), {
      outTradeNo: 'T-1', status: 'TRADE_SUCCESS', amount: '66.00', sandboxUrl: 'http://127.0.0.1:3001',
    });
    assert.throws(() => trigger.parse(['T-1', 'PAID']), /"PAID" is not a trade status/);
    assert.throws(() => trigger.parse(['T-1', 'TRADE_SUCCESS', '--stage', 'prod']), /trigger works against the local sandbox only/);
    assert.throws(() => trigger.parse(['T-1', 'TRADE_SUCCESS', '--amount', '1,00']), /--amount must be yuan like 10.00/);
    assert.throws(() => trigger.parse(['T-1']), new UsageError('missing <TRADE_STATUS>'));
  });
});

describe('operator commands: exit codes', () => {
  test('--help on every command: exit 0, its usage on stdout; the overall usage names them all', async () => {
    for (const name of ['order', 'orders', 'notifications', 'replay', 'reconcile', 'trigger', 'sign']) {
      const r = await inProcess([name, '--help']);
      assert.equal(r.code, 0, name);
      assert.match(r.out, name === 'sign' ? /sign +--key K/ : new RegExp(`^usage: npm run --silent alipay -- ${name} `), name);
    }
    const all = await inProcess(['help']);
    assert.equal(all.code, 0);
    for (const name of ['order <outTradeNo>', 'orders [--status S]', 'notifications <outTradeNo>', 'replay <eventId>', 'reconcile [--since T]', 'trigger <outTradeNo> <TRADE_STATUS>']) {
      assert.ok(all.out.includes(name), name);
    }
  });

  test('wrong arguments: exit 2, what is wrong and the usage line on stderr, nothing on stdout', async () => {
    for (const argv of [['order'], ['orders', '--limit', 'x'], ['replay', 'n1', '--aply'], ['trigger', 'T-1', 'PAID'], ['orders', '--status', 'PAID', '--stage', 'dev']]) {
      const r = await inProcess(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, new RegExp(`^alipay ${argv[0]}: .*\n\nusage: npm run --silent alipay -- ${argv[0]} `), argv.join(' '));
      assert.equal(r.out, '');
    }
  });

  test('a real process: --help exits 0; with no local stack running, a command exits 1 saying how to start one', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'alipay-cli-'));
    try {
      const help = await cli(['orders', '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /newest first/);
      const none = await cli(['order', 'T-1'], '', { LOCAL_DATA_DIR: dataDir });
      assert.equal(none.code, 1, none.stderr);
      assert.equal(none.stderr, `alipay order: no local stack is running (no ${path.join(dataDir, 'stack.json')}): start it with \`npm start\`, or give --stage S (AWS) or --endpoint URL\n`);
      assert.equal(none.stdout, '');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
