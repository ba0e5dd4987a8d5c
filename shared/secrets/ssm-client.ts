// The SSM call itself, in its own module so that ssm.ts can load it lazily while the bundler still sees named
// imports (a dynamic import of the package itself would pull all of @aws-sdk/client-ssm into every bundle).
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

let client: SSMClient | undefined;

/** The decrypted value of a SecureString (or String) parameter; undefined when it has none. */
export async function getParameterValue(name: string): Promise<string | undefined> {
  client ??= new SSMClient({});
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return out.Parameter?.Value;
}
