// Seeded randomness for the scenarios, so a run that finds something can be replayed (RELIABILITY_SEED=<seed>).
import { randomInt } from 'node:crypto';

export interface Random {
  /** [0, 1) */
  (): number;
  readonly seed: number;
}

/** mulberry32: small, fast, good enough to shuffle deliveries and draw faults. */
export function seeded(seed: number = seedFromEnv()): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, { seed });
}

function seedFromEnv(): number {
  const v = process.env.RELIABILITY_SEED;
  return v && /^\d{1,10}$/.test(v) ? Number(v) : randomInt(2 ** 31);
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)]!;
