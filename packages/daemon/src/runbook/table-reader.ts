/**
 * Typed, error-collecting access to one TOML table. Each accessor returns the
 * value when it has the right type and otherwise records a problem (naming the
 * field) and returns undefined, so a parser can keep going and report every
 * problem in the file.
 */
import { didYouMean } from './did-you-mean.js';
import { parseDuration, type Duration } from './duration.js';
import type { ErrorLocation, ErrorSink } from './runbook-error.js';
import { describeValue, isTable, type TomlTable } from './toml-value.js';

export interface ReadOptions {
  required?: boolean;
}

export class TableReader {
  private constructor(
    readonly table: TomlTable,
    readonly location: ErrorLocation,
    readonly sink: ErrorSink,
    readonly fields: readonly string[],
    private readonly prefix: string,
  ) {}

  /**
   * Start reading `table`; every key not in `fields` is reported at once as an
   * unknown field (with a did-you-mean). `what` names the table in hints
   * ("a guard", "retry").
   */
  static open(
    table: TomlTable,
    location: ErrorLocation,
    sink: ErrorSink,
    fields: readonly string[],
    what: string,
    prefix = '',
  ): TableReader {
    const reader = new TableReader(table, location, sink, fields, prefix);
    for (const key of Object.keys(table)) {
      if (!fields.includes(key)) {
        const hint = didYouMean(key, fields) ?? `the fields of ${what} are: ${fields.join(', ')}`;
        sink.add(reader.at(key), `unknown field "${key}"`, hint);
      }
    }
    return reader;
  }

  /** The location of one field of this table. */
  at(key?: string): ErrorLocation {
    if (key === undefined) {
      return this.prefix === '' ? this.location : { ...this.location, field: this.prefix.slice(0, -1) };
    }
    return { ...this.location, field: this.prefix + key };
  }

  error(key: string | undefined, message: string, hint?: string): void {
    this.sink.add(this.at(key), message, hint);
  }

  has(key: string): boolean {
    return this.table[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.table[key];
  }

  private missing(key: string, options: ReadOptions | undefined, expected: string): undefined {
    if (options?.required) this.error(key, `missing required field (${expected})`);
    return undefined;
  }

  private wrongType(key: string, expected: string, value: unknown, hint?: string): undefined {
    this.error(key, `expected ${expected}, got ${describeValue(value)}`, hint);
    return undefined;
  }

  string(key: string, options?: ReadOptions & { nonEmpty?: boolean }): string | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'a string');
    if (typeof value !== 'string') return this.wrongType(key, 'a string', value);
    if (options?.nonEmpty && value.trim() === '') {
      this.error(key, 'must not be empty');
      return undefined;
    }
    return value;
  }

  boolean(key: string, options?: ReadOptions): boolean | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'true or false');
    if (typeof value !== 'boolean') return this.wrongType(key, 'true or false', value);
    return value;
  }

  integer(key: string, options?: ReadOptions & { min?: number }): number | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'an integer');
    if (typeof value === 'bigint' || (typeof value === 'number' && !Number.isSafeInteger(value))) {
      return this.wrongType(key, 'an integer', value, typeof value === 'bigint' ? 'too large' : undefined);
    }
    if (typeof value !== 'number') return this.wrongType(key, 'an integer', value);
    if (options?.min !== undefined && value < options.min) {
      this.error(key, `must be at least ${options.min}, got ${value}`);
      return undefined;
    }
    return value;
  }

  duration(key: string, options?: ReadOptions): Duration | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'a duration such as "30s"');
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' ? `write it as a string with a unit, e.g. "${value}s"` : undefined;
      return this.wrongType(key, 'a duration string such as "30s"', value, hint);
    }
    const parsed = parseDuration(value);
    if (!parsed.ok) {
      this.error(key, `bad duration: ${parsed.message}`, parsed.hint);
      return undefined;
    }
    return parsed.duration;
  }

  /** An array of strings; with `single`, a lone string is accepted as a one-element list. */
  stringList(key: string, options?: ReadOptions & { single?: boolean }): string[] | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'an array of strings');
    if (options?.single && typeof value === 'string') return [value];
    const expected = options?.single ? 'a string or an array of strings' : 'an array of strings';
    if (!Array.isArray(value)) return this.wrongType(key, expected, value);
    const out: string[] = [];
    let ok = true;
    value.forEach((item: unknown, index) => {
      if (typeof item === 'string') out.push(item);
      else {
        ok = false;
        this.error(`${key}[${index}]`, `expected a string, got ${describeValue(item)}`);
      }
    });
    return ok ? out : undefined;
  }

  subtable(key: string, options?: ReadOptions): TomlTable | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'a table');
    if (!isTable(value)) return this.wrongType(key, 'a table', value);
    return value;
  }

  /** An array of tables (`[[pipeline.x.phase]]`). */
  tables(key: string, options?: ReadOptions): TomlTable[] | undefined {
    const value = this.table[key];
    if (value === undefined) return this.missing(key, options, 'an array of tables');
    if (!Array.isArray(value)) return this.wrongType(key, 'an array of tables', value);
    const out: TomlTable[] = [];
    let ok = true;
    value.forEach((item: unknown, index) => {
      if (isTable(item)) out.push(item);
      else {
        ok = false;
        this.error(`${key}[${index}]`, `expected a table, got ${describeValue(item)}`);
      }
    });
    return ok ? out : undefined;
  }

  /** A nested table read with its own field list; errors name `key.field`. */
  child(key: string, fields: readonly string[], options?: ReadOptions): TableReader | undefined {
    const table = this.subtable(key, options);
    if (table === undefined) return undefined;
    return TableReader.open(table, this.location, this.sink, fields, `"${this.prefix}${key}"`, `${this.prefix}${key}.`);
  }

  /**
   * A table of string values (`env`, `defaults`); with `scalars`, integers,
   * floats and booleans are accepted and kept as text.
   */
  stringMap(key: string, options?: ReadOptions & { scalars?: boolean }): Record<string, string> | undefined {
    const table = this.subtable(key, options);
    if (table === undefined) return undefined;
    const out: Record<string, string> = {};
    let ok = true;
    for (const [name, value] of Object.entries(table)) {
      if (typeof value === 'string') out[name] = value;
      else if (options?.scalars && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')) {
        out[name] = String(value);
      } else {
        ok = false;
        this.error(`${key}.${name}`, `expected a string, got ${describeValue(value)}`);
      }
    }
    return ok ? out : undefined;
  }
}
