// API Gateway HTTP API (payload 2.0) events in: body bytes, headers, the bearer token.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './errors.ts';

export type HttpEvent = APIGatewayProxyEventV2;

/** The body exactly as sent: API Gateway base64-encodes non-text bodies (form posts among them). */
export function bodyBytes(event: HttpEvent): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function header(event: HttpEvent, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === want) return v;
  return undefined;
}

export function requestId(event: HttpEvent): string {
  return event.requestContext?.requestId ?? 'local';
}

/** The raw query string as bytes: API Gateway passes it through undecoded. */
export function rawQueryBytes(event: HttpEvent): Buffer {
  return Buffer.from(event.rawQueryString ?? '', 'latin1');
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Throws 401 unless `Authorization: Bearer <token>` matches (constant time). */
export function requireBearer(event: HttpEvent, token: string): void {
  const auth = header(event, 'authorization');
  const m = auth === undefined ? null : /^Bearer (.+)$/.exec(auth.trim());
  if (!m) throw new HttpError(401, 'UNAUTHORIZED', 'missing "Authorization: Bearer <STOREFRONT_TOKEN>" header');
  if (!timingSafeEqual(digest(m[1]!), digest(token))) throw new HttpError(401, 'UNAUTHORIZED', 'the bearer token is not the configured STOREFRONT_TOKEN');
}

/** Offset of the first byte that is not part of valid UTF-8 (a real U+FFFD, EF BF BD, is valid). */
function invalidUtf8Offset(bytes: Buffer): number {
  const lenient = bytes.toString('utf8');
  for (let i = lenient.indexOf('\uFFFD'); i >= 0; i = lenient.indexOf('\uFFFD', i + 1)) {
    const offset = Buffer.byteLength(lenient.slice(0, i), 'utf8');
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
  }
  return bytes.length; // not reached for bytes the strict decoder refused
}

/** The body as text, decoded strictly: invalid UTF-8 is a 400, never text with U+FFFD in place of the bytes. */
function utf8Text(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', `the body is not valid UTF-8 (first bad byte at offset ${invalidUtf8Offset(bytes)}): send JSON encoded in UTF-8`);
  }
}

/** Parses a JSON object body; 400 with a clear message otherwise. */
export function jsonBody(event: HttpEvent, maxBytes = 16 * 1024): Record<string, unknown> {
  const bytes = bodyBytes(event);
  if (bytes.length > maxBytes) throw new HttpError(413, 'BODY_TOO_LARGE', `the body is ${bytes.length} bytes; at most ${maxBytes} are accepted`);
  const text = utf8Text(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'INVALID_JSON', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'INVALID_JSON', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A JSON object body that may be left out: no body (or an empty one) is {}. */
export function optionalJsonBody(event: HttpEvent, maxBytes = 16 * 1024): Record<string, unknown> {
  return bodyBytes(event).length === 0 ? {} : jsonBody(event, maxBytes);
}
