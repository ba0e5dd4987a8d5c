// The SSM reader (one signed GetParameter request, no @aws-sdk/client-ssm) against a loopback fake over real HTTP.
// The fake checks the SigV4 signature itself, computed independently here with node:crypto, so a request AWS would
// refuse fails this test.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createSsmReader, SsmError } from '../../shared/secrets/ssm-client.ts';
import { ssmSecretReader } from '../../shared/secrets/ssm.ts';
import { LoopbackFake } from '../support/loopback-fake.ts';

const CREDENTIALS = { accessKeyId: 'AKIDFAKEFAKEFAKE0000', secretAccessKey: 'fake/secret/not+real/0000000000000000000', sessionToken: 'fake-session-token' };
const FAKE_KEY = 'ssmreaderfakekey0000000000000000';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

/** SigV4 as AWS checks it (single-chunk POST, no query), from the raw request. */
function signatureIsValid(req: http.IncomingMessage, body: Buffer): string | undefined {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/ssm\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization));
  if (!auth) return `malformed Authorization: ${req.headers.authorization}`;
  const [, accessKey, day, region, signedHeaders, signature] = auth;
  if (accessKey !== CREDENTIALS.accessKeyId) return 'wrong access key';
  if (req.headers['x-amz-security-token'] !== CREDENTIALS.sessionToken) return 'session token not sent';
  const names = signedHeaders!.split(';');
  for (const needed of ['host', 'x-amz-date', 'x-amz-target', 'content-type']) if (!names.includes(needed)) return `${needed} not signed`;
  const canonical = ['POST', req.url, '', ...names.map((n) => `${n}:${String(req.headers[n]).trim()}`), '', signedHeaders, sha256(body)].join('\n');
  const date = String(req.headers['x-amz-date']);
  const toSign = ['AWS4-HMAC-SHA256', date, `${day}/${region}/ssm/aws4_request`, sha256(canonical)].join('\n');
  let k: Buffer = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day!);
  for (const part of [region!, 'ssm', 'aws4_request']) k = hmac(k, part);
  return createHmac('sha256', k).update(toSign).digest('hex') === signature ? undefined : 'signature does not match';
}

class FakeSsm extends LoopbackFake {
  readonly requests: { name: string; decrypt: boolean; url: string }[] = [];
  /** What to do with the next requests, in order; then answer normally. */
  readonly script: ('500' | 'hang' | 'throttle')[] = [];
  constructor(readonly parameters: Record<string, string>) {
    super();
  }
  get url(): string {
    return this.baseUrl;
  }
  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const body = Buffer.concat(chunks);
      const input = JSON.parse(body.toString('utf8') || '{}') as { Name: string; WithDecryption: boolean };
      this.requests.push({ name: input.Name, decrypt: input.WithDecryption, url: req.url ?? '' });
      const send = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
      const next = this.script.shift();
      if (next === 'hang') return;
      if (next === '500') return send(500, { __type: 'InternalServerError', message: 'try again' });
      if (next === 'throttle') return send(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      const problem = signatureIsValid(req, body);
      if (problem) return send(400, { __type: 'InvalidSignatureException', message: problem });
      if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParameter') return send(400, { __type: 'UnknownOperationException' });
      if (input.Name === '/denied') return send(400, { __type: 'AccessDeniedException', message: 'not authorized to perform: ssm:GetParameter' });
      const value = this.parameters[input.Name];
      if (value === undefined) return send(400, { __type: 'com.amazonaws.ssm#ParameterNotFound', message: '' });
      send(200, { Parameter: { Name: input.Name, Type: 'SecureString', Value: value, Version: 3 } });
    });
  }
}

let ssm: FakeSsm;
const reader = (timeoutMs?: number) =>
  createSsmReader({ env: { AWS_REGION: 'ap-east-1', AWS_ENDPOINT_URL_SSM: `${ssm.url}/fn` }, credentials: async () => CREDENTIALS, ...(timeoutMs ? { timeoutMs } : {}) });

before(async () => {
  ssm = await new FakeSsm({ '/alipay-serverless/test/alipay-key': FAKE_KEY, '/empty': '' }).start();
});
after(() => ssm.stop());

describe('reading a SecureString from SSM with one signed request', () => {
  test('a parameter is read decrypted, with a signature SSM accepts, at the configured endpoint', async () => {
    ssm.requests.length = 0;
    assert.equal(await reader()('/alipay-serverless/test/alipay-key'), FAKE_KEY);
    assert.deepEqual(ssm.requests, [{ name: '/alipay-serverless/test/alipay-key', decrypt: true, url: '/fn/' }]);
  });

  test('a missing parameter is an error that says how to create it; a denied one says what to grant', async () => {
    await assert.rejects(reader()('/nope'), (err: SsmError) => err.type === 'ParameterNotFound' && /put-parameter --type SecureString --name \/nope/.test(err.message));
    await assert.rejects(reader()('/denied'), (err: SsmError) => err.type === 'AccessDeniedException' && /grant ssm:GetParameter/.test(err.message));
  });

  test('a 500 and throttling are retried; a request that hangs past the (injected) timeout is retried too', async () => {
    ssm.requests.length = 0;
    ssm.script.push('500', 'throttle');
    assert.equal(await reader()('/alipay-serverless/test/alipay-key'), FAKE_KEY);
    assert.equal(ssm.requests.length, 3);
    ssm.script.push('hang', 'hang', 'hang');
    await assert.rejects(reader(200)('/alipay-serverless/test/alipay-key'), (err: SsmError) => err.type === 'Timeout' && /within 200 ms/.test(err.message));
  });

  test('wrong credentials are refused with a message naming them', async () => {
    const wrong = createSsmReader({ env: { AWS_REGION: 'ap-east-1', AWS_ENDPOINT_URL_SSM: ssm.url }, credentials: async () => ({ ...CREDENTIALS, secretAccessKey: 'other' }) });
    await assert.rejects(wrong('/alipay-serverless/test/alipay-key'), /InvalidSignatureException.*credentials were refused/);
  });

  test('the handlers\' reader: the value, or an error for an empty one (config.ts names the variable)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_REGION: 'ap-east-1', AWS_ENDPOINT_URL_SSM: ssm.url, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_SESSION_TOKEN: CREDENTIALS.sessionToken });
    try {
      assert.equal(await ssmSecretReader('/alipay-serverless/test/alipay-key'), FAKE_KEY);
      await assert.rejects(ssmSecretReader('/empty'), /SSM parameter \/empty is empty/);
    } finally {
      for (const k of ['AWS_REGION', 'AWS_ENDPOINT_URL_SSM', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
        if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
      }
    }
  });
});
