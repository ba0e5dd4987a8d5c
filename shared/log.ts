// JSON log lines with a request id. Never the key; signatures only as a short prefix.
export type LogFields = Record<string, unknown>;

const SECRET_NAMES = /^(key|alipay_key|md5_key|authorization|token|storefront_token)$/i;

function clean(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_NAMES.test(k)) continue;
    out[k] = k === 'sign' && typeof v === 'string' ? redactSign(v) : v;
  }
  return out;
}

/** The first 6 characters of a sign: enough to correlate, useless to forge. */
export const redactSign = (sign: string): string => (sign.length > 6 ? `${sign.slice(0, 6)}…` : sign);

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function logger(requestId: string, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const emit = (level: string) => (msg: string, fields: LogFields = {}) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, requestId, msg, ...clean(fields) }));
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
