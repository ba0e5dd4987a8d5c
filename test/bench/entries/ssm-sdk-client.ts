// The reader before issue 14, kept for the bench only: @aws-sdk/client-ssm (a devDependency of osls here).
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

let client: SSMClient | undefined;

/** The decrypted value of a SecureString (or String) parameter; undefined when it has none. */
export async function getParameterValue(name: string): Promise<string | undefined> {
  client ??= new SSMClient({});
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return out.Parameter?.Value;
}
