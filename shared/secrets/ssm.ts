// Reads SecureString parameters from SSM Parameter Store (the MD5 key and the storefront token in AWS).
import type { SecretReader } from '../config.ts';

export const ssmSecretReader: SecretReader = async (name) => {
  // Loaded only when a *_PARAMETER variable is set, so local runs skip the credential chain and the signer set-up.
  const { getParameterValue } = await import('./ssm-client.ts');
  const value = await getParameterValue(name);
  if (value === undefined || value === '') throw new Error(`SSM parameter ${name} is empty`);
  return value;
};
