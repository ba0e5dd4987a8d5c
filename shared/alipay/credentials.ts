// Partner id, MD5 key and callback URL checks: the usual causes of ILLEGAL_PARTNER and ILLEGAL_SIGN, caught before Alipay sees them.
import { AlipayError } from './errors.ts';

const PARTNER_ID = /^2088\d{12}$/;
const MD5_KEY = /^[0-9A-Za-z]{32}$/;

/** Throws INVALID_CONFIG naming the likely mistake (email instead of id, pasted whitespace, wrong length). */
export function validatePartnerId(value: unknown, field = 'partner'): string {
  if (typeof value !== 'string' || value === '') {
    throw new AlipayError('INVALID_CONFIG', `${field} is missing: set it to your 16-digit partner id (合作者身份ID) starting with 2088`, field);
  }
  if (value !== value.trim()) {
    throw new AlipayError('INVALID_CONFIG', `${field} has leading or trailing whitespace (copied from the Alipay page?): remove it; Alipay answers ILLEGAL_PARTNER`, field);
  }
  if (value.includes('@')) {
    throw new AlipayError('INVALID_CONFIG', `${field} looks like an email address: the partner id is the 16-digit number starting with 2088 shown in your Alipay merchant account, not the login email`, field);
  }
  if (!PARTNER_ID.test(value)) {
    throw new AlipayError('INVALID_CONFIG', `${field} "${value}" is not a partner id: expected 16 digits starting with 2088`, field);
  }
  return value;
}

/** Throws INVALID_CONFIG without ever echoing the key. */
export function validateMd5Key(value: unknown, field = 'key'): string {
  if (typeof value !== 'string' || value === '') {
    throw new AlipayError('INVALID_CONFIG', `${field} is missing: set it to the 32-character MD5 key (安全校验码) from your Alipay merchant account`, field);
  }
  if (value !== value.trim()) {
    throw new AlipayError('INVALID_CONFIG', `${field} has leading or trailing whitespace: remove it, the key is hashed byte for byte and every sign would be ILLEGAL_SIGN`, field);
  }
  if (!MD5_KEY.test(value)) {
    throw new AlipayError('INVALID_CONFIG', `${field} is not an MD5 key: expected exactly 32 letters and digits, got ${value.length} characters${/[^0-9A-Za-z]/.test(value) ? ' including other characters' : ''}`, field);
  }
  return value;
}

/**
 * What looks wrong with a key that is used anyway (a CLI signs with what it is given), or undefined. Alipay's MD5
 * keys are 32 lower-case letters and digits. Never echoes the key.
 */
export function md5KeyWarning(value: string, field = 'the key'): string | undefined {
  if (value !== value.trim()) return `${field} has leading or trailing whitespace (${JSON.stringify(value.match(/^\s*/)![0] + '…' + value.match(/\s*$/)![0])}): it is hashed byte for byte, so Alipay will answer ILLEGAL_SIGN`;
  if (!MD5_KEY.test(value)) return `${field} is ${value.length} characters${/[^0-9A-Za-z]/.test(value) ? ' including some that are not letters or digits' : ''}: an Alipay MD5 key is exactly 32 lower-case letters and digits`;
  if (/[A-Z]/.test(value)) return `${field} has upper-case letters: an Alipay MD5 key is lower-case letters and digits (was it changed when copied?)`;
  return undefined;
}

/**
 * An absolute http(s) URL. For notify_url/return_url (`allowQuery: false`) Alipay forbids a query string:
 * "不能加?id=123这类自定义参数".
 */
export function validateUrl(value: unknown, field: string, opts: { allowQuery: boolean }): string {
  if (typeof value !== 'string' || value === '') {
    throw new AlipayError('INVALID_PARAMETER', `${field} must be an absolute http(s) URL`, field);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AlipayError('INVALID_PARAMETER', `${field} "${value}" is not an absolute URL: write it in full, like https://shop.example.com/alipay/notify`, field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AlipayError('INVALID_PARAMETER', `${field} must use http or https, not ${url.protocol}`, field);
  }
  if (value !== value.trim() || /\s/.test(value)) {
    throw new AlipayError('INVALID_PARAMETER', `${field} contains whitespace`, field);
  }
  if (!opts.allowQuery && (url.search !== '' || value.includes('?'))) {
    throw new AlipayError('INVALID_PARAMETER', `${field} must not have a query string: Alipay drops custom parameters from callback URLs; carry state in out_trade_no or extra_common_param`, field);
  }
  if (url.hash !== '' || value.includes('#')) {
    throw new AlipayError('INVALID_PARAMETER', `${field} must not have a #fragment`, field);
  }
  return value;
}
