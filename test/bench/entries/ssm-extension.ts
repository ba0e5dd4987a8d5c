// The alternative not chosen, kept for the bench only: the AWS Parameters and Secrets Lambda Extension, a layer that
// answers on localhost:2773 and authenticates the caller by its session token.
import http from 'node:http';

export async function getParameterValue(name: string): Promise<string | undefined> {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || '2773';
  const path = `/systemsmanager/parameters/get?name=${encodeURIComponent(name)}&withDecryption=true`;
  const text = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`extension answered HTTP ${res.statusCode}`))));
    }).on('error', reject);
  });
  return (JSON.parse(text) as { Parameter?: { Value?: string } }).Parameter?.Value;
}
