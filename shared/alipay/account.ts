// The merchant's side of every request: who signs, who is paid, where Alipay calls back.
import type { Charset } from './charset.ts';

/** Alipay's gateway, unless the merchant's configuration names another (the sandbox, a proxy). */
export const DEFAULT_GATEWAY_URL = 'https://mapi.alipay.com/gateway.do';

export interface MerchantAccount {
  partner: string;
  /** The MD5 key. Never logged, never put in a URL. */
  key: string;
  sellerId: string;
  charset: Charset;
  gatewayUrl: string;
  notifyUrl: string;
  returnUrl: string;
}
