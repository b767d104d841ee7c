/**
 * Reading the fields of a message received from another thread (the worker protocol): every field is
 * checked for its type, and an error names the message and the field, so a message of another build
 * or a bug on the other side is a clear error instead of undefined behaviour further on.
 */
import { resolveConfig, type TrainConfig } from './train-config.js';

/** Fields of one received object; `what` names it in errors ("pause message from the main thread"). */
export class Fields {
  private constructor(
    private readonly m: Readonly<Record<string, unknown>>,
    readonly what: string,
  ) {}

  /** `value` as an object (not null, not an array), or a protocol error naming `what`. */
  static of(value: unknown, what: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`protocol: ${what} is not an object`);
    return new Fields(value as Record<string, unknown>, what);
  }

  /** The object received. */
  get value(): Readonly<Record<string, unknown>> {
    return this.m;
  }

  get(key: string): unknown {
    return this.m[key];
  }

  has(key: string): boolean {
    return this.m[key] !== undefined;
  }

  fail(key: string, expected: string): never {
    throw new Error(`protocol: ${this.what}: ${key} must be ${expected}; got ${show(this.m[key])}`);
  }

  string(key: string): string {
    const v = this.m[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }

  nullableString(key: string): string | null {
    const v = this.m[key];
    return v === null ? null : typeof v === 'string' ? v : this.fail(key, 'a string or null');
  }

  /** A number; NaN and infinities pass (a diverged loss is one), other types do not. */
  number(key: string): number {
    const v = this.m[key];
    return typeof v === 'number' ? v : this.fail(key, 'a number');
  }

  nullableNumber(key: string): number | null {
    const v = this.m[key];
    return v === null ? null : typeof v === 'number' ? v : this.fail(key, 'a number or null');
  }

  boolean(key: string): boolean {
    const v = this.m[key];
    return typeof v === 'boolean' ? v : this.fail(key, 'true or false');
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.m[key];
    return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : this.fail(key, `one of ${allowed.join(', ')}`);
  }

  /** An array whose every item passes `item` (which throws otherwise); returns the array received. */
  array<T>(key: string, item: (value: unknown, what: string) => T): T[] {
    const v = this.m[key];
    if (!Array.isArray(v)) return this.fail(key, 'an array');
    v.forEach((x, i) => item(x, `${this.what}: ${key}[${i}]`));
    return v as T[];
  }

  strings(key: string): string[] {
    return this.array(key, isString);
  }

  numbers(key: string): number[] {
    return this.array(key, isNumber);
  }

  /** A nested object, read with its own Fields. */
  object(key: string): Fields {
    return Fields.of(this.m[key], `${this.what}: ${key}`);
  }
}

/** An item checker for `Fields.array`: one of `allowed`. */
export function member<T extends string>(allowed: readonly T[]): (value: unknown, what: string) => T {
  return (value, what) => {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    throw new Error(`protocol: ${what} must be one of ${allowed.join(', ')}; got ${show(value)}`);
  };
}

function isString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`protocol: ${what} must be a string; got ${show(value)}`);
  return value;
}

function isNumber(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new Error(`protocol: ${what} must be a number; got ${show(value)}`);
  return value;
}

/** A short rendering of a received value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A training config received from the other thread, checked by the rule every config obeys: it is
 * what `resolveConfig` makes of it. Each field given must be the value `resolveConfig` gives it, so a
 * config that is out of range (`batchSize: 1e9`), of the wrong type (`depth: "8"`) or inconsistent
 * (a CNN depth that is not 6n+2) is refused. Fields left out are allowed (runs written before a field
 * existed lack it; readers fill in its default), and so are fields `TrainConfig` no longer has.
 */
export function readConfig(value: unknown, what: string): TrainConfig {
  const f = Fields.of(value, what);
  let resolved: TrainConfig;
  try {
    resolved = resolveConfig(value as Record<string, unknown>, what);
  } catch (err) {
    throw new Error(`protocol: ${what} is not a valid training config: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const [key, checked] of Object.entries(resolved)) {
    if (f.has(key) && f.get(key) !== checked) f.fail(key, `${show(checked)}, as resolveConfig makes it`);
  }
  return value as TrainConfig;
}
