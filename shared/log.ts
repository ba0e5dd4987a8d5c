// JSON log lines with a request id, small and safe to keep: every value bounded, signs only as a 6-character prefix,
// the key and the storefront token never (dropped by field name, and replaced wherever a registered value shows up).
export type LogFields = Record<string, unknown>;

/** Characters kept of one string value (the msg too); the rest is counted, not shown. */
const MAX_STRING = 200;
const MAX_KEY = 64;
const MAX_REQUEST_ID = 100;
/** Nesting levels shown below a field; deeper objects and arrays show as `[Object]` / `[Array(n)]`. */
const MAX_DEPTH = 3;
/** Entries shown per object or array. */
const MAX_ITEMS = 20;
/**
 * Characters the fields of one line may take in all: once spent, later entries are only counted, so a wide and deep
 * value costs no more work than a small one. MAX_LINE_BYTES then drops whole fields if the line is still too long.
 */
const FIELD_BUDGET = 4096;
const MAX_LINE_BYTES = 4096;
/** Room kept for the `dropped` field when fields must go. */
const DROPPED_RESERVE = 400;

const REDACTED = '[redacted]';
/** Shorter values are not secrets worth the false positives (`MD5`, `success`). */
const MIN_SECRET = 8;
/** A piece of a registered secret this long, left at the end of a cut string, is redacted too. */
const MIN_SECRET_PIECE = 4;

const SECRET_NAMES = new Set(['key', 'alipaykey', 'md5key', 'authorization', 'token', 'storefronttoken']);
const isSecretName = (name: string): boolean => name.length <= 20 && SECRET_NAMES.has(name.toLowerCase().replace(/[_-]/g, ''));

/**
 * A sign inside any text: `sign=…`, `"sign":"…"`, `sign: …`, `sign%3D…` (also with JSON-escaped quotes), and the
 * same after a name ending in sign (`expected_sign`, `receivedSign`), but not `design=`. The value runs to the next
 * separator; `[` is excluded so an already `[redacted]` value is left as it is.
 */
const SIGN_IN_TEXT = /((?:(?:\b|_)(?:sign|Sign|SIGN)|(?<=[a-z0-9])Sign)\\?["']?\s*(?:=|:|%3[dD])\s*\\?["']?)([^\s"'\\&;,)}\][]{7,})/g;
/**
 * Exactly 32 hex characters is an MD5 sign (or a key) wherever it stands, even without a name before it: a refusal
 * may quote a sign sent as sign_type, or inside a parameter name. A notify_id (34) or a sha256 (64) is left whole.
 */
const MD5_HEX = /(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])/g;
/** Fields whose (string) value is a sign: `sign`, `expected_sign`, `receivedSign`. */
const isSignName = (name: string): boolean => /^(?:sign|Sign|SIGN)$|_(?:sign|SIGN)$|[a-z0-9]Sign$/.test(name);

const secrets: string[] = [];

/**
 * Registers a value that must never appear in a log line (the MD5 key, the storefront token): every occurrence in
 * any logged string becomes `[redacted]`. Called by the configuration once per cold start.
 */
export function registerSecret(value: string): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET || secrets.includes(value)) return;
  secrets.push(value);
  secrets.sort((a, b) => b.length - a.length); // a secret containing another goes first
}

/** The first 6 characters of a sign: enough to correlate, useless to forge. */
export const redactSign = (sign: string): string => (sign.length > 6 ? `${sign.slice(0, 6)}…` : sign);

/** Redacts text that is already short (bounded): registered secrets, then signs. */
function redact(text: string, wasCut: boolean): string {
  for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
  // The cut may have split a secret: its beginning is then the end of the text.
  if (wasCut) {
    for (const secret of secrets) {
      const piece = longestEndingPrefix(text, secret);
      if (piece >= MIN_SECRET_PIECE) {
        text = text.slice(0, text.length - piece) + REDACTED;
        break;
      }
    }
  }
  return text.replace(SIGN_IN_TEXT, (_, lead: string, value: string) => lead + redactSign(value)).replace(MD5_HEX, redactSign);
}

function longestEndingPrefix(text: string, secret: string): number {
  for (let n = Math.min(secret.length - 1, text.length); n >= MIN_SECRET_PIECE; n--) {
    if (text.endsWith(secret.slice(0, n))) return n;
  }
  return 0;
}

/**
 * Cuts first (so nothing below looks at more than `limit` characters), then redacts, then says how much was cut.
 * `hidden` counts characters the caller already left out.
 */
function bounded(text: string, limit = MAX_STRING, hidden = 0): string {
  let end = Math.min(text.length, limit);
  if (end < text.length) {
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // never half a surrogate pair
  }
  const cut = text.length - end + hidden;
  const shown = redact(end < text.length ? text.slice(0, end) : text, cut > 0);
  return cut > 0 ? `${shown}…(+${cut} chars)` : shown;
}

interface Budget {
  left: number;
}

/** `Name: message`, bounded; never the stack. */
function describeError(err: Error): string {
  let name = 'Error';
  let message = '';
  try {
    name = String(err.name);
    message = String(err.message);
  } catch {
    // a throwing getter: what was read will do
  }
  const shownName = name.slice(0, MAX_STRING);
  const shownMessage = message.slice(0, MAX_STRING);
  return bounded(`${shownName}: ${shownMessage}`, MAX_STRING, name.length - shownName.length + message.length - shownMessage.length);
}

function shape(value: unknown, depth: number, budget: Budget): unknown {
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string' || value instanceof Error) {
    const s = typeof value === 'string' ? bounded(value) : describeError(value);
    budget.left -= s.length;
    return s;
  }
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'symbol' || typeof value === 'function') return `[${typeof value}]`;
  budget.left -= 2;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Map || value instanceof Set) return `[${value.constructor.name}(${value.size})]`;
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH || budget.left <= 0) return `[Array(${value.length})]`;
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (i >= MAX_ITEMS || budget.left <= 0) {
        out.push(`…(+${value.length - i} items)`);
        break;
      }
      out.push(shape(value[i], depth + 1, budget));
    }
    return out;
  }
  if (depth >= MAX_DEPTH || budget.left <= 0) return '[Object]';
  return shapeEntries(value as Record<string, unknown>, depth + 1, budget);
}

/** An object's entries, bounded, without the secret-named ones; a sign keeps its first 6 characters. */
function shapeEntries(fields: Record<string, unknown>, depth: number, budget: Budget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(fields);
  let shown = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (isSecretName(name)) continue;
    if (shown >= MAX_ITEMS || budget.left <= 0) {
      out['…'] = `+${names.length - i} keys`;
      break;
    }
    const v = fields[name];
    if (v === undefined) continue;
    const key = bounded(name, MAX_KEY);
    budget.left -= key.length;
    out[key] = typeof v === 'string' && isSignName(name) ? redactSign(v) : shape(v, depth, budget);
    shown++;
  }
  return out;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The line, whole when it fits in MAX_LINE_BYTES; otherwise the fields that fit, in order, and the names of the others. */
function assemble(head: LogFields, fields: Record<string, unknown>): string {
  const whole = JSON.stringify({ ...head, ...fields });
  if (bytes(whole) <= MAX_LINE_BYTES) return whole;
  const kept: LogFields = { ...head };
  const dropped: string[] = [];
  let used = bytes(JSON.stringify(head)) + DROPPED_RESERVE;
  for (const [name, v] of Object.entries(fields)) {
    const size = bytes(JSON.stringify({ [name]: v })) - 1; // `,"name":value`
    if (used + size <= MAX_LINE_BYTES) {
      kept[name] = v;
      used += size;
    } else {
      dropped.push(name);
    }
  }
  kept.dropped = bounded(`${dropped.length} fields, the line was too long: ${dropped.join(', ')}`, 120);
  const smaller = JSON.stringify(kept);
  return bytes(smaller) <= MAX_LINE_BYTES ? smaller : JSON.stringify({ ...head, dropped: `${dropped.length} fields, the line was too long` });
}

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function logger(requestId: string, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const emit = (level: string) => (msg: string, fields: LogFields = {}) => {
    // Bounded per line, not once: the handler makes its logger before the configuration registers the secrets.
    const head = { time: new Date().toISOString(), level, requestId: bounded(String(requestId), MAX_REQUEST_ID), msg: bounded(String(msg)) };
    let text: string;
    try {
      text = assemble(head, shapeEntries(fields, 0, { left: FIELD_BUDGET }));
    } catch (err) {
      // A getter that throws, a proxy: logging must never be what breaks the handler.
      text = JSON.stringify({ ...head, logError: `the fields could not be logged: ${describeError(err instanceof Error ? err : new Error('a non-Error was thrown'))}` });
    }
    write(text);
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
