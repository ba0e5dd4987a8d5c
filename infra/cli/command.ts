// What every `alipay` command is: its help, its argument parsing (pure, so tests can call it), and its run.
// Exit codes: 0 ok, 1 not found or failed, 2 usage (wrong arguments, or input that cannot be read).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Wrong arguments: exit 2 with the command's help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Input that cannot be read (stdin that is not JSON, …): exit 2 with the message only. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Where a command writes: stdout for results, stderr for notes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Command<Options> {
  name: string;
  /** The command with its arguments, for the overall usage. */
  synopsis: string;
  /** What it does, in one line. */
  summary: string;
  /** What `<command> --help` prints. */
  help: string;
  /** The arguments after the command name as options; throws UsageError naming what is wrong. */
  parse(argv: string[], env?: Readonly<Record<string, string | undefined>>): Options;
  run(options: Options, io: Io): Promise<number>;
}

export type Flags = NonNullable<ParseArgsConfig['options']>;

/** Strict flags and exactly the positionals named (`[name]` = optional); anything else is a UsageError. */
export function parseFlags<F extends Flags>(argv: string[], flags: F, positionals: string[] = []) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const required = positionals.filter((p) => !p.startsWith('['));
  if (parsed.positionals.length < required.length) throw new UsageError(`missing ${required.slice(parsed.positionals.length).map((p) => `<${p}>`).join(' ')}`);
  if (parsed.positionals.length > positionals.length) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.length]}"`);
  return parsed;
}

/** A whole number in [min, max]. */
export function parseCount(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(value) || Number(value) > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return Number(value);
}

const RELATIVE = /^(\d{1,6})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: an ISO 8601 date or time (UTC unless it says otherwise), or a span back from now: 90m, 12h, 7d. */
export function parseSince(value: string | undefined, now: () => number = Date.now): string | undefined {
  if (value === undefined) return undefined;
  const relative = RELATIVE.exec(value);
  if (relative) return new Date(now() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]).toISOString();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ]([\d:.]+)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  // JavaScript reads a time without an offset as local time: say UTC, as the stored times are.
  const at = m ? Date.parse(m[2] === undefined ? m[1]! : `${m[1]}T${m[2]}${m[3] ?? 'Z'}`) : NaN;
  if (Number.isNaN(at)) throw new UsageError(`--since must be an ISO 8601 time (2024-05-01, 2024-05-01T08:00:00Z) or a span like 90m, 12h, 7d; got "${value}"`);
  return new Date(at).toISOString();
}
