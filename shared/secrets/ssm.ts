// Reads SecureString parameters from SSM Parameter Store (the MD5 key and the storefront token in AWS).
import type { SecretReader } from '../config.ts';

export const ssmSecretReader: SecretReader = async (name) => {
  // Loaded only when a *_PARAMETER variable is set, so local runs and cold starts without SSM skip it.
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({});
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = out.Parameter?.Value;
  if (value === undefined || value === '') throw new Error(`SSM parameter ${name} is empty`);
  return value;
};
