// The `alipay` CLI contract other tools depend on: sign, verify, --jsonl batches, explain, exit codes 0/1/2, ALIPAY_KEY.
// Each case spawns `node --import tsx infra/cli/alipay.ts` (about 0.5 s each, more in parallel on a small machine), so
// the cases are few and run one after another; the --jsonl cases carry most of the checks.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** chloerei/alipay's test key (vector A1). */
const KEY_1 = '10000000000000000000000000000000';
/** A recognisable fake key for explain, which must never print it. */
const FAKE_KEY = 'fakefakefakefakefakefakefakefake';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args`, writes `stdin`, and collects the outcome. ALIPAY_KEY from the outer environment is not passed on. */
function cli(args: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> {
  const { ALIPAY_KEY: _ignored, ...outer } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/cli/alipay.ts', ...args], {
      cwd: ROOT,
      env: { ...outer, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

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
});
