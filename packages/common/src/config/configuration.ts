/**
 * Resolved configuration: raw key/value strings with where each one came from,
 * read through typed options (config-option.ts).
 *
 * `loadConfiguration` merges four layers; for each key the first that sets it
 * wins:
 *   1. command-line flags (`-Dkey=value`)         source 'command line'
 *   2. the EDDY_PROPERTIES environment variable   source 'EDDY_PROPERTIES'
 *   3. the config file                            source 'config file <path>'
 *   4. the option's declared default              source 'default'
 * It then parses every declared option that is set and reports all failures
 * together in one ConfigurationError. Keys no option declares are kept, so
 * components loaded later can read them.
 *
 * EDDY_PROPERTIES and config files use Flink's FLINK_PROPERTIES / flink-conf
 * format: one `key: value` per line, split at the first colon (so values may
 * contain colons, e.g. `jobmanager.rpc.address: host:6123`), whitespace
 * trimmed, blank lines and lines starting with `#` ignored. A `#` after a value
 * is part of the value. When a key repeats within one source, the last wins.
 */

import { readFileSync } from 'node:fs';

import { ConfigurationError, type ConfigOption } from './config-option.js';

export { ConfigurationError } from './config-option.js';

/** Source name of values given as `-D` flags. */
export const COMMAND_LINE_SOURCE = 'command line';
/** Name of the environment variable holding properties, and the source name of its values. */
export const EDDY_PROPERTIES = 'EDDY_PROPERTIES';
/** Source reported for keys that are not set, whose option default applies. */
export const DEFAULT_SOURCE = 'default';
/** Source name of values read from the config file at `path`. */
export function configFileSource(path: string): string {
  return `config file ${path}`;
}

interface Entry {
  readonly value: string;
  readonly source: string;
}

/**
 * Parses Flink's properties format (see the file comment) into a map of
 * trimmed keys and values. Every malformed line — a non-blank, non-comment
 * line without `:` or with an empty key — is reported, with its line number,
 * in one ConfigurationError naming `sourceName`.
 */
export function parseProperties(text: string, sourceName: string): Map<string, string> {
  const problems: ConfigurationError[] = [];
  const properties = collectProperties(text, sourceName, problems);
  if (problems.length > 0) throw ConfigurationError.combine(problems);
  return properties;
}

/** Parses what it can, adding one problem per malformed line to `problems`. */
function collectProperties(text: string, sourceName: string, problems: ConfigurationError[]): Map<string, string> {
  const properties = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const colon = trimmed.indexOf(':');
    const key = colon < 0 ? '' : trimmed.slice(0, colon).trim();
    if (key === '') {
      problems.push(
        new ConfigurationError(
          `Invalid line ${index + 1} in ${sourceName}: expected 'key: value' but found '${trimmed}'`,
          { rawValue: trimmed, source: sourceName },
        ),
      );
      return;
    }
    properties.set(key, trimmed.slice(colon + 1).trim());
  });
  return properties;
}

/**
 * An immutable set of raw configuration strings, each with its source. Typed
 * values are read with `get(option)`; unset keys yield the option's default.
 */
export class Configuration {
  readonly #entries: ReadonlyMap<string, Entry>;

  private constructor(entries: ReadonlyMap<string, Entry>) {
    this.#entries = entries;
    Object.freeze(this);
  }

  /** A configuration with nothing set: every option yields its default. */
  static empty(): Configuration {
    return new Configuration(new Map());
  }

  /** A configuration holding `entries` (keys and values trimmed), all from `source`. */
  static fromRecord(entries: Record<string, string>, source = 'code'): Configuration {
    return Configuration.empty().withOverrides(entries, source);
  }

  /**
   * The option's value parsed from its raw string, or its default when unset.
   * Throws a ConfigurationError naming key, value, source and expected form
   * when the raw string does not parse.
   */
  get<T>(option: ConfigOption<T>): T {
    const entry = this.#entries.get(option.key);
    return entry === undefined ? option.defaultValue : option.parse(entry.value, entry.source);
  }

  /** The raw (trimmed) string set for `key`, or undefined. */
  getRaw(key: string): string | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Whether `key` is set by any source (defaults do not count). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * Where the value of `key` came from: 'command line', 'EDDY_PROPERTIES',
   * 'config file <path>', another name given to `withOverrides`/`fromRecord`,
   * or 'default' when it is not set.
   */
  sourceOf(key: string): string {
    return this.#entries.get(key)?.source ?? DEFAULT_SOURCE;
  }

  /** The set keys, sorted. */
  keys(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /**
   * A new configuration in which `entries` (keys and values trimmed), all
   * attributed to `source`, replace any earlier values for the same keys.
   * Throws a ConfigurationError for an empty key.
   */
  withOverrides(entries: Record<string, string>, source: string): Configuration {
    const merged = new Map(this.#entries);
    for (const [rawKey, rawValue] of Object.entries(entries)) {
      const key = rawKey.trim();
      if (key === '') {
        throw new ConfigurationError(`Invalid empty key (from ${source}) with value '${rawValue.trim()}'`, {
          rawValue: rawValue.trim(),
          source,
        });
      }
      merged.set(key, { value: rawValue.trim(), source });
    }
    return new Configuration(merged);
  }

  /** The raw strings of every set key, sorted by key (sources are dropped). */
  toRecord(): Record<string, string> {
    const record: Record<string, string> = {};
    for (const key of this.keys()) {
      const entry = this.#entries.get(key);
      if (entry !== undefined) record[key] = entry.value;
    }
    return record;
  }
}

/** What `loadConfiguration` reads. */
export interface ConfigurationInput {
  /** `-D` flags as 'key=value' strings (without the '-D'), or already split into a record. */
  flags?: readonly string[] | Record<string, string>;
  /**
   * Environment to read EDDY_PROPERTIES from. Not read from `process.env`
   * implicitly: pass `process.env` to honour the real environment.
   */
  environment?: Record<string, string | undefined>;
  /** Path to a file in the properties format. */
  configFile?: string;
  /** Every declared option; each one that is set is validated. */
  options: readonly ConfigOption<unknown>[];
}

function parseFlags(flags: readonly string[] | Record<string, string>, problems: ConfigurationError[]): Record<string, string> {
  const pairs = isFlagList(flags)
    ? flags.map((flag) => {
        const equals = flag.indexOf('=');
        return { flag, key: equals < 0 ? '' : flag.slice(0, equals).trim(), value: flag.slice(equals + 1) };
      })
    : Object.entries(flags).map(([key, value]) => ({ flag: `${key}=${value}`, key: key.trim(), value }));
  const record: Record<string, string> = {};
  for (const { flag, key, value } of pairs) {
    if (key === '') {
      problems.push(
        new ConfigurationError(
          `Invalid flag '-D${flag}' (from ${COMMAND_LINE_SOURCE}): expected -Dkey=value, e.g. -Drpc.ask-timeout=10s`,
          { rawValue: flag, source: COMMAND_LINE_SOURCE },
        ),
      );
    } else {
      record[key] = value;
    }
  }
  return record;
}

function isFlagList(flags: readonly string[] | Record<string, string>): flags is readonly string[] {
  return Array.isArray(flags);
}

/**
 * Reads and parses one properties source. Malformed lines and read failures
 * are added to `problems`; the well-formed lines are still returned so their
 * values are validated too.
 */
function readProperties(read: () => string, sourceName: string, problems: ConfigurationError[]): Record<string, string> {
  let text: string;
  try {
    text = read();
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    problems.push(new ConfigurationError(`Cannot read ${sourceName}: ${cause}`, { source: sourceName, cause: error }));
    return {};
  }
  return Object.fromEntries(collectProperties(text, sourceName, problems));
}

/**
 * Builds the configuration from command-line flags, EDDY_PROPERTIES and a
 * config file (in that order of precedence, above option defaults), then
 * parses every declared option that is set. All problems — malformed flags or
 * properties lines, an unreadable config file, values that do not parse — are
 * collected and thrown as one ConfigurationError.
 */
export function loadConfiguration(input: ConfigurationInput): Configuration {
  const problems: ConfigurationError[] = [];
  let configuration = Configuration.empty();

  if (input.configFile !== undefined) {
    const path = input.configFile;
    const source = configFileSource(path);
    configuration = configuration.withOverrides(
      readProperties(() => readFileSync(path, 'utf8'), source, problems),
      source,
    );
  }

  const environmentText = input.environment?.[EDDY_PROPERTIES];
  if (environmentText !== undefined) {
    configuration = configuration.withOverrides(
      readProperties(() => environmentText, EDDY_PROPERTIES, problems),
      EDDY_PROPERTIES,
    );
  }

  if (input.flags !== undefined) {
    configuration = configuration.withOverrides(parseFlags(input.flags, problems), COMMAND_LINE_SOURCE);
  }

  const validated = new Set<string>();
  for (const option of input.options) {
    if (validated.has(option.key)) continue;
    validated.add(option.key);
    try {
      configuration.get(option);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(error);
    }
  }

  if (problems.length > 0) throw ConfigurationError.combine(problems);
  return configuration;
}
