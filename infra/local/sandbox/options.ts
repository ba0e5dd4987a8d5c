// SandboxOptions checked once, with defaults filled in; a bad option stops startSandbox with a message naming it.
import { MD5_KEY, PARTNER_ID } from './alipay-rules.ts';
import type { DeliveryKnobs, SandboxOptions } from './index.ts';

export interface ResolvedAccount {
  readonly partner: string;
  readonly key: string;
  readonly sellerId: string;
  /** The seller email the sandbox writes into notifications: the configured one, or a made-up one for the seller id. */
  readonly sellerEmail: string;
  /** True when sellerEmail was configured, so requests may name the seller by email. */
  readonly hasSellerEmail: boolean;
}

export interface ResolvedOptions {
  readonly port: number;
  readonly accounts: ReadonlyMap<string, ResolvedAccount>;
  readonly retrySpeedup: number;
  readonly instantMode: 'advanced' | 'basic';
  readonly returnIdTtlMs: number;
  readonly deliveryTimeoutMs: number;
  readonly knobs: DeliveryKnobs;
}

export const DEFAULT_KNOBS: DeliveryKnobs = { duplicate: 0, delayMs: 0, hold: false };
const MAX_DUPLICATE = 20;
const MAX_DELAY_MS = 24 * 3600_000;

function fail(message: string): never {
  throw new Error(`sandbox: ${message}`);
}

/** What is wrong with a configured partner or seller id, or undefined. */
function partnerIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is missing: give the 16-digit partner id starting with 2088';
  if (value.includes('@')) return 'looks like an email address: the partner id is the 16-digit number starting with 2088';
  return PARTNER_ID.test(value) ? undefined : `"${value}" is not a partner id: expected 16 digits starting with 2088`;
}

/** What is wrong with a configured key, or undefined; never quotes the key. */
function keyProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is missing: give the 32-character MD5 key';
  return MD5_KEY.test(value) ? undefined : `is not an MD5 key: expected exactly 32 letters and digits, got ${value.length} characters`;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

export function resolveOptions(options: SandboxOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail('startSandbox needs an options object with at least one account');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`port must be an integer from 0 to 65535, got ${String(options.port)}`);
  if (!Array.isArray(options.accounts) || options.accounts.length === 0) {
    fail('accounts must list at least one { partner, key } (e.g. partner 2088101568358171 and a fake 32-character key)');
  }
  const accounts = new Map<string, ResolvedAccount>();
  options.accounts.forEach((account, i) => {
    const problems: [string, string | undefined][] = [
      ['partner', partnerIdProblem(account?.partner)],
      ['key', keyProblem(account?.key)],
      ['sellerId', account?.sellerId === undefined ? undefined : partnerIdProblem(account.sellerId)],
    ];
    for (const [field, problem] of problems) if (problem) fail(`accounts[${i}].${field} ${problem}`);
    if (accounts.has(account.partner)) fail(`accounts[${i}]: partner ${account.partner} is listed twice`);
    const sellerId = account.sellerId ?? account.partner;
    accounts.set(account.partner, {
      partner: account.partner,
      key: account.key,
      sellerId,
      sellerEmail: account.sellerEmail ?? `seller-${sellerId}@example.com`,
      hasSellerEmail: account.sellerEmail !== undefined,
    });
  });
  const instantMode = options.instantMode ?? 'advanced';
  if (instantMode !== 'advanced' && instantMode !== 'basic') fail(`instantMode must be 'advanced' or 'basic', got ${String(instantMode)}`);
  return {
    port,
    accounts,
    retrySpeedup: positive(options.retrySpeedup, 'retrySpeedup', 600),
    instantMode,
    returnIdTtlMs: positive(options.returnIdTtlMs, 'returnIdTtlMs', 60_000),
    deliveryTimeoutMs: positive(options.deliveryTimeoutMs, 'deliveryTimeoutMs', 15_000),
    knobs: checkKnobs({ ...DEFAULT_KNOBS, ...options.knobs }),
  };
}

/** Throws a clear Error for a knob out of range; returns a fresh object. */
export function checkKnobs(k: DeliveryKnobs): DeliveryKnobs {
  if (!Number.isInteger(k.duplicate) || k.duplicate < 0 || k.duplicate > MAX_DUPLICATE) {
    fail(`knob duplicate must be a whole number from 0 to ${MAX_DUPLICATE}, got ${String(k.duplicate)}`);
  }
  if (!Number.isInteger(k.delayMs) || k.delayMs < 0 || k.delayMs > MAX_DELAY_MS) {
    fail(`knob delayMs must be a whole number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${String(k.delayMs)}`);
  }
  if (typeof k.hold !== 'boolean') fail(`knob hold must be true or false, got ${String(k.hold)}`);
  return { duplicate: k.duplicate, delayMs: k.delayMs, hold: k.hold };
}
