// SSM GetParameter as one SigV4-signed HTTPS request, signed with the signer and default credential chain that the
// DynamoDB client already bundles. @aws-sdk/client-ssm cost every bundle 168 KB and ~18-20 ms of cold start for this
// single call (`npm run bench` measures the alternatives; README "Benchmarks").
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

const TIMEOUT_MS = 3_000;
const ATTEMPTS = 3;

type Env = Readonly<Record<string, string | undefined>>;

const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the signer asks for. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

/** An answer SSM gave, with the error type it named (`ParameterNotFound`, `AccessDeniedException`, ...). */
export class SsmError extends Error {
  override readonly name = 'SsmError';
  constructor(readonly type: string, readonly status: number, message: string) {
    super(message);
  }
}

export interface SsmReaderOptions {
  env?: Env;
  credentials?: AwsCredentialIdentityProvider;
  timeoutMs?: number;
}

/** Where SSM answers: AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL (as the SDK honours them), else the regional endpoint. */
export function ssmEndpoint(env: Env): URL {
  const override = env.AWS_ENDPOINT_URL_SSM || env.AWS_ENDPOINT_URL;
  if (override) return new URL(override);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new SsmError('MissingRegion', 0, 'AWS_REGION is not set (Lambda sets it; set it when running elsewhere)');
  return new URL(`https://ssm.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`);
}

function hint(type: string, name: string): string {
  switch (type) {
    case 'ParameterNotFound':
      return `: create it (aws ssm put-parameter --type SecureString --name ${name} --value ...)`;
    case 'AccessDeniedException':
      return ': grant ssm:GetParameter on it to the function\'s role (and kms:Decrypt when a customer key encrypts it: SSM_KMS_KEY_ARN)';
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return ': the AWS credentials were refused (check AWS_ACCESS_KEY_ID / AWS_SESSION_TOKEN / the profile)';
    default:
      return '';
  }
}

function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, { method: 'POST', headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('error', reject)
        .on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new SsmError('Timeout', 0, `no answer from ${url.origin} within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

const retryable = (err: unknown) =>
  !(err instanceof SsmError) || err.status >= 500 || err.type === 'ThrottlingException' || err.type === 'Timeout';

/** A reader of decrypted SecureString (or String) values; undefined when a parameter has no value. */
export function createSsmReader(opts: SsmReaderOptions = {}): (name: string) => Promise<string | undefined> {
  const env = opts.env ?? process.env;
  const endpoint = ssmEndpoint(env);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const signer = new SignatureV4({ service: 'ssm', region, credentials: opts.credentials ?? defaultProvider(), sha256: Sha256 });
  const url = new URL(endpoint.pathname.endsWith('/') ? endpoint.href : `${endpoint.href}/`);

  async function once(name: string): Promise<string | undefined> {
    const body = JSON.stringify({ Name: name, WithDecryption: true });
    const signed = await signer.sign({
      method: 'POST', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined,
      path: url.pathname, query: {}, body,
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.GetParameter',
        'content-length': String(Buffer.byteLength(body)),
      },
    });
    const { status, text } = await post(url, signed.headers, body, opts.timeoutMs ?? TIMEOUT_MS);
    let answer: { __type?: string; message?: string; Message?: string; Parameter?: { Value?: string } };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      throw new SsmError('BadAnswer', status, `SSM answered HTTP ${status} with a body that is not JSON`);
    }
    if (status !== 200) {
      const type = (answer.__type ?? `HTTP${status}`).split('#').pop()!;
      throw new SsmError(type, status, `${type}${answer.message ?? answer.Message ? ` (${answer.message ?? answer.Message})` : ''}${hint(type, name)}`);
    }
    return answer.Parameter?.Value;
  }

  return async (name) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(name);
      } catch (err) {
        if (attempt >= ATTEMPTS || !retryable(err)) throw err;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  };
}

let reader: ((name: string) => Promise<string | undefined>) | undefined;

/** The decrypted value of a SecureString (or String) parameter; undefined when it has none. */
export async function getParameterValue(name: string): Promise<string | undefined> {
  reader ??= createSsmReader();
  return reader(name);
}
