/**
 * Typed configuration options, declared next to the code that reads them.
 *
 * An option is a Flink-style key (`rpc.ask-timeout`), a type, a default, a
 * description and the form its value must take. It knows how to parse a raw
 * string (as found on the command line, in EDDY_PROPERTIES or in a config file)
 * and how to render a value back in human form, so a docs generator can list
 * every option with its key, type, default and expected form.
 *
 * Where the raw string comes from is decided by `loadConfiguration` in
 * configuration.ts: command-line flag > EDDY_PROPERTIES > config file > the
 * option's default. An option that is not set anywhere yields its default.
 *
 * Value syntax follows Flink:
 * - durations (TimeUtils): a whole, non-negative number, optionally followed by
 *   whitespace and a unit: ms / milli / millis / millisecond / milliseconds,
 *   s / sec / secs / second / seconds, min / minute / minutes, h / hour / hours,
 *   d / day / days. A bare number means milliseconds. Units are case-insensitive.
 * - memory sizes (MemorySize): a whole, non-negative number, optionally followed
 *   by a unit: b / bytes, k / kb / kib, m / mb / mib, g / gb / gib, t / tb / tib
 *   (all powers of 1024), case-insensitive. A bare number means bytes.
 * - integers are whole numbers; doubles are decimal numbers such as '1.5', '2' or
 *   '1e-3' (Java's Double.parseDouble without NaN, Infinity or hexadecimal); booleans are `true` or `false` (any case);
 *   enum values match one of the declared values (any case).
 * Raw values are trimmed before parsing. Every refusal is a ConfigurationError
 * whose message has one shape:
 *   Invalid value '<raw>' for <key> (from <source>): expected <expected form>
 */

/** The kind of value an option holds; shown as the type name in generated docs. */
export type ConfigOptionType = 'duration' | 'memory-size' | 'integer' | 'double' | 'boolean' | 'string' | 'enum';

/**
 * A configuration problem: a value that does not parse, a malformed properties
 * line or flag, an unreadable config file — or several of these at once, in
 * which case `problems` holds each one and the message lists them one per line.
 *
 * Declared here rather than in configuration.ts so that options can throw it
 * without an import cycle; configuration.ts re-exports it.
 */
export class ConfigurationError extends Error {
  /** The option key the problem is about, when there is one. */
  readonly key: string | undefined;
  /** The raw (trimmed) value that was refused, when there is one. */
  readonly rawValue: string | undefined;
  /** Where the value came from, e.g. 'command line' or 'config file /etc/eddy.conf'. */
  readonly source: string | undefined;
  /** What the value should have looked like. */
  readonly expectedForm: string | undefined;
  /** The individual problems; a single problem lists only itself. */
  readonly problems: readonly ConfigurationError[];

  constructor(
    message: string,
    details: {
      key?: string;
      rawValue?: string;
      source?: string;
      expectedForm?: string;
      problems?: readonly ConfigurationError[];
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ConfigurationError';
    this.key = details.key;
    this.rawValue = details.rawValue;
    this.source = details.source;
    this.expectedForm = details.expectedForm;
    this.problems = details.problems ?? [this];
  }

  /** A value that was refused by an option. */
  static invalidValue(key: string, rawValue: string, source: string | undefined, expectedForm: string): ConfigurationError {
    const from = source === undefined ? '' : ` (from ${source})`;
    return new ConfigurationError(`Invalid value '${rawValue}' for ${key}${from}: expected ${expectedForm}`, {
      key,
      rawValue,
      ...(source === undefined ? {} : { source }),
      expectedForm,
    });
  }

  /**
   * One error for several problems. A single problem is returned as is; more
   * than one becomes an error whose message lists each problem on its own line.
   */
  static combine(errors: readonly ConfigurationError[]): ConfigurationError {
    const problems = errors.flatMap((error) => error.problems);
    if (problems.length === 1 && problems[0] !== undefined) {
      return problems[0];
    }
    const lines = problems.map((problem) => `  - ${problem.message}`);
    return new ConfigurationError(`${problems.length} configuration problems:\n${lines.join('\n')}`, { problems });
  }
}

/** A typed configuration option. */
export interface ConfigOption<T> {
  /** Flink-style key, e.g. `rpc.ask-timeout`. */
  readonly key: string;
  /** Type name, for docs and messages. */
  readonly type: ConfigOptionType;
  /** Value used when the key is not set anywhere. */
  readonly defaultValue: T;
  /** The default in human form, e.g. '10 s'; same as `format(defaultValue)`. */
  readonly defaultText: string;
  /** What the option controls, for generated docs. */
  readonly description: string;
  /** The form a value must take, completing "expected …", e.g. "a duration such as '10 s', '500 ms' or '2 min'". */
  readonly expectedForm: string;
  /**
   * Parses a raw value (trimmed first). Throws a ConfigurationError naming the
   * key, the value, the source (when given) and the expected form.
   */
  parse(raw: string, source?: string): T;
  /** Renders a value in human form, which `parse` accepts again, e.g. '10 s', '10 mb'. */
  format(value: T): string;
}

// ---------------------------------------------------------------------------
// Durations and memory sizes

const DURATION_EXAMPLES = "'10 s', '500 ms' or '2 min'";
const MEMORY_SIZE_EXAMPLES = "'64 mb', '512 kb' or '1 gb'";
const DURATION_FORM = `a duration such as ${DURATION_EXAMPLES}`;
const MEMORY_SIZE_FORM = `a memory size such as ${MEMORY_SIZE_EXAMPLES}`;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const DURATION_UNITS: ReadonlyMap<string, number> = new Map([
  ...['', 'ms', 'milli', 'millis', 'millisecond', 'milliseconds'].map((unit) => [unit, 1] as const),
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((unit) => [unit, SECOND] as const),
  ...['min', 'minute', 'minutes'].map((unit) => [unit, MINUTE] as const),
  ...['h', 'hour', 'hours'].map((unit) => [unit, HOUR] as const),
  ...['d', 'day', 'days'].map((unit) => [unit, DAY] as const),
]);

/** Largest unit first; `formatDuration` picks the largest that divides the value. */
const DURATION_FORMAT_UNITS: readonly (readonly [string, number])[] = [
  ['d', DAY],
  ['h', HOUR],
  ['min', MINUTE],
  ['s', SECOND],
  ['ms', 1],
];

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

const MEMORY_UNITS: ReadonlyMap<string, number> = new Map([
  ...['', 'b', 'bytes'].map((unit) => [unit, 1] as const),
  ...['k', 'kb', 'kib', 'kibibytes'].map((unit) => [unit, KIB] as const),
  ...['m', 'mb', 'mib', 'mebibytes'].map((unit) => [unit, MIB] as const),
  ...['g', 'gb', 'gib', 'gibibytes'].map((unit) => [unit, GIB] as const),
  ...['t', 'tb', 'tib', 'tebibytes'].map((unit) => [unit, TIB] as const),
]);

const MEMORY_FORMAT_UNITS: readonly (readonly [string, number])[] = [
  ['tb', TIB],
  ['gb', GIB],
  ['mb', MIB],
  ['kb', KIB],
  ['bytes', 1],
];

const NUMBER_WITH_UNIT = /^(\d+)\s*([a-z]*)$/i;

/** Parses `<digits>[whitespace]<unit>` against a unit table; undefined when it does not fit. */
function parseWithUnit(text: string, units: ReadonlyMap<string, number>): number | undefined {
  const match = NUMBER_WITH_UNIT.exec(text.trim());
  if (match === null) return undefined;
  const [, digits = '', unit = ''] = match;
  const multiplier = units.get(unit.toLowerCase());
  if (multiplier === undefined) return undefined;
  const value = Number(digits) * multiplier;
  return Number.isSafeInteger(value) ? value : undefined;
}

function formatWithUnit(value: number, units: readonly (readonly [string, number])[]): string {
  for (const [unit, size] of units) {
    if (value !== 0 && value % size === 0) return `${value / size} ${unit}`;
  }
  const smallest = units[units.length - 1];
  return `${value} ${smallest === undefined ? '' : smallest[0]}`.trim();
}

/**
 * Parses a Flink-style duration ('10 s', '500ms', '2 min', '250') into
 * milliseconds. Throws a ConfigurationError (without a key) if it is not one.
 */
export function parseDuration(text: string): number {
  const value = parseWithUnit(text, DURATION_UNITS);
  if (value === undefined) {
    const rawValue = text.trim();
    throw new ConfigurationError(`Invalid duration '${rawValue}': expected ${DURATION_FORM}`, {
      rawValue,
      expectedForm: DURATION_FORM,
    });
  }
  return value;
}

/**
 * Parses a Flink-style memory size ('64 mb', '512k', '1 GiB', '4096') into
 * bytes; every unit is a power of 1024. Throws a ConfigurationError (without a
 * key) if it is not one.
 */
export function parseMemorySize(text: string): number {
  const value = parseWithUnit(text, MEMORY_UNITS);
  if (value === undefined) {
    const rawValue = text.trim();
    throw new ConfigurationError(`Invalid memory size '${rawValue}': expected ${MEMORY_SIZE_FORM}`, {
      rawValue,
      expectedForm: MEMORY_SIZE_FORM,
    });
  }
  return value;
}

/** Renders milliseconds in the largest unit that divides them exactly, e.g. 10000 → '10 s'. */
export function formatDuration(ms: number): string {
  return formatWithUnit(ms, DURATION_FORMAT_UNITS);
}

/** Renders bytes in the largest 1024-based unit that divides them exactly, e.g. 10485760 → '10 mb'. */
export function formatMemorySize(bytes: number): string {
  return formatWithUnit(bytes, MEMORY_FORMAT_UNITS);
}

// ---------------------------------------------------------------------------
// Declaration checks (programming errors, thrown when an option is declared)

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$/;

function checkDeclaration(key: string, condition: boolean, problem: string): void {
  if (!condition) {
    throw new TypeError(`Bad declaration of config option '${key}': ${problem}`);
  }
}

function checkKey(key: string): void {
  checkDeclaration(key, KEY_PATTERN.test(key), 'the key must be dot-separated words such as rpc.ask-timeout');
}

interface OptionParts<T> {
  key: string;
  type: ConfigOptionType;
  defaultValue: T;
  description: string;
  expectedForm: string;
  /** Returns the value, or undefined if the trimmed text is not acceptable. */
  read(trimmed: string): T | undefined;
  format(value: T): string;
}

function makeOption<T>(parts: OptionParts<T>): ConfigOption<T> {
  const { key, type, defaultValue, description, expectedForm, read, format } = parts;
  return Object.freeze({
    key,
    type,
    defaultValue,
    defaultText: format(defaultValue),
    description,
    expectedForm,
    parse(raw: string, source?: string): T {
      const trimmed = raw.trim();
      const value = read(trimmed);
      if (value === undefined) {
        throw ConfigurationError.invalidValue(key, trimmed, source, expectedForm);
      }
      return value;
    },
    format,
  });
}

function tryParse(parse: (text: string) => number, text: string): number | undefined {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Factories

/** A duration in milliseconds, written like '10 s'. `minMs` is an inclusive lower bound. */
export function durationOption(spec: {
  key: string;
  defaultMs: number;
  description: string;
  minMs?: number;
}): ConfigOption<number> {
  const { key, defaultMs, description, minMs } = spec;
  checkKey(key);
  checkDeclaration(key, Number.isSafeInteger(defaultMs) && defaultMs >= 0, 'defaultMs must be a whole number ≥ 0');
  checkDeclaration(key, minMs === undefined || (Number.isSafeInteger(minMs) && minMs >= 0), 'minMs must be a whole number ≥ 0');
  checkDeclaration(key, minMs === undefined || defaultMs >= minMs, 'defaultMs must not be below minMs');
  const expectedForm =
    minMs === undefined ? DURATION_FORM : `a duration of at least ${formatDuration(minMs)}, such as ${DURATION_EXAMPLES}`;
  return makeOption({
    key,
    type: 'duration',
    defaultValue: defaultMs,
    description,
    expectedForm,
    read: (text) => {
      const ms = tryParse(parseDuration, text);
      return ms === undefined || (minMs !== undefined && ms < minMs) ? undefined : ms;
    },
    format: formatDuration,
  });
}

/** A memory size in bytes, written like '64 mb'. `minBytes` is an inclusive lower bound. */
export function memorySizeOption(spec: {
  key: string;
  defaultBytes: number;
  description: string;
  minBytes?: number;
}): ConfigOption<number> {
  const { key, defaultBytes, description, minBytes } = spec;
  checkKey(key);
  checkDeclaration(key, Number.isSafeInteger(defaultBytes) && defaultBytes >= 0, 'defaultBytes must be a whole number ≥ 0');
  checkDeclaration(
    key,
    minBytes === undefined || (Number.isSafeInteger(minBytes) && minBytes >= 0),
    'minBytes must be a whole number ≥ 0',
  );
  checkDeclaration(key, minBytes === undefined || defaultBytes >= minBytes, 'defaultBytes must not be below minBytes');
  const expectedForm =
    minBytes === undefined
      ? MEMORY_SIZE_FORM
      : `a memory size of at least ${formatMemorySize(minBytes)}, such as ${MEMORY_SIZE_EXAMPLES}`;
  return makeOption({
    key,
    type: 'memory-size',
    defaultValue: defaultBytes,
    description,
    expectedForm,
    read: (text) => {
      const bytes = tryParse(parseMemorySize, text);
      return bytes === undefined || (minBytes !== undefined && bytes < minBytes) ? undefined : bytes;
    },
    format: formatMemorySize,
  });
}

const INTEGER = /^[+-]?\d+$/;

/** A whole number; `min` and `max` are inclusive bounds. */
export function integerOption(spec: {
  key: string;
  defaultValue: number;
  description: string;
  min?: number;
  max?: number;
}): ConfigOption<number> {
  const { key, defaultValue, description, min, max } = spec;
  checkKey(key);
  checkDeclaration(key, Number.isSafeInteger(defaultValue), 'defaultValue must be a whole number');
  checkDeclaration(key, min === undefined || Number.isSafeInteger(min), 'min must be a whole number');
  checkDeclaration(key, max === undefined || Number.isSafeInteger(max), 'max must be a whole number');
  checkDeclaration(key, min === undefined || max === undefined || min <= max, 'min must not exceed max');
  checkDeclaration(
    key,
    (min === undefined || defaultValue >= min) && (max === undefined || defaultValue <= max),
    'defaultValue must lie within min and max',
  );
  const expectedForm =
    min !== undefined && max !== undefined
      ? `a whole number from ${min} to ${max}`
      : min !== undefined
        ? `a whole number of at least ${min}`
        : max !== undefined
          ? `a whole number of at most ${max}`
          : 'a whole number';
  return makeOption({
    key,
    type: 'integer',
    defaultValue,
    description,
    expectedForm,
    read: (text) => {
      if (!INTEGER.test(text)) return undefined;
      const value = Number(text);
      if (!Number.isSafeInteger(value)) return undefined;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) return undefined;
      return value === 0 ? 0 : value; // never -0
    },
    format: (value) => String(value),
  });
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A floating-point number such as '1.5'; `min` and `max` are inclusive bounds.
 * NaN and the infinities are refused.
 */
export function doubleOption(spec: {
  key: string;
  defaultValue: number;
  description: string;
  min?: number;
  max?: number;
}): ConfigOption<number> {
  const { key, defaultValue, description, min, max } = spec;
  checkKey(key);
  checkDeclaration(key, Number.isFinite(defaultValue), 'defaultValue must be a finite number');
  checkDeclaration(key, min === undefined || Number.isFinite(min), 'min must be a finite number');
  checkDeclaration(key, max === undefined || Number.isFinite(max), 'max must be a finite number');
  checkDeclaration(key, min === undefined || max === undefined || min <= max, 'min must not exceed max');
  checkDeclaration(
    key,
    (min === undefined || defaultValue >= min) && (max === undefined || defaultValue <= max),
    'defaultValue must lie within min and max',
  );
  const expectedForm =
    min !== undefined && max !== undefined
      ? `a number from ${min} to ${max}, such as '${defaultValue}'`
      : min !== undefined
        ? `a number of at least ${min}, such as '${defaultValue}'`
        : max !== undefined
          ? `a number of at most ${max}, such as '${defaultValue}'`
          : `a number such as '${defaultValue}'`;
  return makeOption({
    key,
    type: 'double',
    defaultValue,
    description,
    expectedForm,
    read: (text) => {
      if (!DECIMAL.test(text)) return undefined;
      const value = Number(text);
      if (!Number.isFinite(value)) return undefined;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) return undefined;
      return value === 0 ? 0 : value; // never -0
    },
    format: (value) => String(value),
  });
}

/** `true` or `false`, in any case. */
export function booleanOption(spec: { key: string; defaultValue: boolean; description: string }): ConfigOption<boolean> {
  const { key, defaultValue, description } = spec;
  checkKey(key);
  return makeOption({
    key,
    type: 'boolean',
    defaultValue,
    description,
    expectedForm: "'true' or 'false'",
    read: (text) => {
      const lower = text.toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : undefined;
    },
    format: (value) => String(value),
  });
}

/** Free text (trimmed). Never refused. */
export function stringOption(spec: { key: string; defaultValue: string; description: string }): ConfigOption<string> {
  const { key, defaultValue, description } = spec;
  checkKey(key);
  return makeOption({
    key,
    type: 'string',
    defaultValue,
    description,
    expectedForm: 'any text',
    read: (text) => text,
    format: (value) => value,
  });
}

/**
 * One of a fixed set of values. Matching ignores case; the declared spelling is
 * returned.
 */
export function enumOption<const V extends string>(spec: {
  key: string;
  values: readonly V[];
  defaultValue: NoInfer<V>;
  description: string;
}): ConfigOption<V> & { readonly values: readonly V[] } {
  const { key, values, defaultValue, description } = spec;
  checkKey(key);
  checkDeclaration(key, values.length > 0, 'values must not be empty');
  checkDeclaration(
    key,
    new Set(values.map((value) => value.toLowerCase())).size === values.length,
    'values must differ other than in case',
  );
  checkDeclaration(key, values.includes(defaultValue), 'defaultValue must be one of values');
  const frozenValues = Object.freeze([...values]);
  const quoted = frozenValues.map((value) => `'${value}'`);
  const expectedForm =
    quoted.length === 1 ? `${quoted[0]}` : `one of ${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  const option = makeOption({
    key,
    type: 'enum',
    defaultValue,
    description,
    expectedForm,
    read: (text) => {
      const lower = text.toLowerCase();
      return frozenValues.find((value) => value.toLowerCase() === lower);
    },
    format: (value) => value,
  });
  return Object.freeze({ ...option, values: frozenValues });
}
