// The merchant's side of every request: who signs, who is paid, where Alipay calls back.
import type { Charset } from './charset.ts';

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
