import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  ConfigurationError,
  booleanOption,
  doubleOption,
  durationOption,
  enumOption,
  formatDuration,
  formatMemorySize,
  integerOption,
  memorySizeOption,
  parseDuration,
  parseMemorySize,
  stringOption,
} from '../../src/config/config-option.js';
import { configurationError } from './configuration-error-assertion.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const TIB = 1024 * GIB;

describe('parseDuration', () => {
  const units: readonly (readonly [readonly string[], number])[] = [
    [['ms', 'milli', 'millis', 'millisecond', 'milliseconds'], 1],
    [['s', 'sec', 'secs', 'second', 'seconds'], SECOND],
    [['min', 'minute', 'minutes'], MINUTE],
    [['h', 'hour', 'hours'], HOUR],
    [['d', 'day', 'days'], DAY],
  ];

  for (const [labels, size] of units) {
    it(`reads ${labels.join(', ')} as ${size} ms each, with or without a space before the unit`, () => {
      for (const label of labels) {
        assert.equal(parseDuration(`7 ${label}`), 7 * size, `7 ${label}`);
        assert.equal(parseDuration(`7${label}`), 7 * size, `7${label}`);
      }
    });
  }

  it('reads a bare number as milliseconds', () => {
    assert.equal(parseDuration('250'), 250);
    assert.equal(parseDuration('0'), 0);
  });

  it('ignores the case of the unit', () => {
    assert.equal(parseDuration('10 S'), 10 * SECOND);
    assert.equal(parseDuration('2 Min'), 2 * MINUTE);
    assert.equal(parseDuration('3 HOURS'), 3 * HOUR);
  });

  it('trims surrounding whitespace and allows several spaces before the unit', () => {
    assert.equal(parseDuration('  10   s \t'), 10 * SECOND);
  });

  it('refuses negative durations, words, fractions, unknown units and empty text', () => {
    for (const text of ['-5 s', '-1', 'ten seconds', '1.5 s', '10 weeks', '10 s s', 's', '', '   ', '+5 s']) {
      const error = configurationError(() => parseDuration(text));
      assert.equal(error.rawValue, text.trim());
      assert.equal(
        error.message,
        `Invalid duration '${text.trim()}': expected a duration such as '10 s', '500 ms' or '2 min'`,
      );
    }
  });

  it('refuses a duration too large to hold exactly in milliseconds', () => {
    configurationError(() => parseDuration('9007199254740993'));
    configurationError(() => parseDuration('200000000000 d'));
  });
});

describe('parseMemorySize', () => {
  const units: readonly (readonly [readonly string[], number])[] = [
    [['b', 'bytes'], 1],
    [['k', 'kb', 'kib'], KIB],
    [['m', 'mb', 'mib'], MIB],
    [['g', 'gb', 'gib'], GIB],
    [['t', 'tb', 'tib'], TIB],
  ];

  for (const [labels, size] of units) {
    it(`reads ${labels.join(', ')} as ${size} ${size === 1 ? 'byte' : 'bytes'} each, with or without a space before the unit`, () => {
      for (const label of labels) {
        assert.equal(parseMemorySize(`3 ${label}`), 3 * size, `3 ${label}`);
        assert.equal(parseMemorySize(`3${label}`), 3 * size, `3${label}`);
      }
    });
  }

  it('reads a bare number as bytes', () => {
    assert.equal(parseMemorySize('4096'), 4096);
  });

  it('ignores the case of the unit', () => {
    assert.equal(parseMemorySize('64 MB'), 64 * MIB);
    assert.equal(parseMemorySize('1 GiB'), GIB);
    assert.equal(parseMemorySize('2K'), 2 * KIB);
  });

  it('treats kb, mb, gb and tb as powers of 1024, not 1000', () => {
    assert.equal(parseMemorySize('1 kb'), 1024);
    assert.equal(parseMemorySize('1 mb'), 1_048_576);
  });

  it('trims surrounding whitespace', () => {
    assert.equal(parseMemorySize(' \t10 mb  '), 10 * MIB);
  });

  it('refuses negative sizes, fractions, words, unknown units and empty text', () => {
    for (const text of ['-1 mb', '1.5 gb', 'ten megabytes', '10 pb', 'mb', '']) {
      const error = configurationError(() => parseMemorySize(text));
      assert.equal(error.message, `Invalid memory size '${text}': expected a memory size such as '64 mb', '512 kb' or '1 gb'`);
    }
  });
});

describe('formatDuration and formatMemorySize', () => {
  it('render a duration in the largest unit that divides it exactly', () => {
    assert.equal(formatDuration(10 * SECOND), '10 s');
    assert.equal(formatDuration(500), '500 ms');
    assert.equal(formatDuration(2 * MINUTE), '2 min');
    assert.equal(formatDuration(90 * MINUTE), '90 min');
    assert.equal(formatDuration(3 * HOUR), '3 h');
    assert.equal(formatDuration(2 * DAY), '2 d');
    assert.equal(formatDuration(1500), '1500 ms');
    assert.equal(formatDuration(0), '0 ms');
  });

  it('render a memory size in the largest 1024-based unit that divides it exactly', () => {
    assert.equal(formatMemorySize(10 * MIB), '10 mb');
    assert.equal(formatMemorySize(512 * KIB), '512 kb');
    assert.equal(formatMemorySize(GIB), '1 gb');
    assert.equal(formatMemorySize(2 * TIB), '2 tb');
    assert.equal(formatMemorySize(1536 * KIB), '1536 kb');
    assert.equal(formatMemorySize(1000), '1000 bytes');
    assert.equal(formatMemorySize(0), '0 bytes');
  });

  it('produce text that parses back to the same number', () => {
    for (const ms of [0, 1, 999, SECOND, 61 * SECOND, HOUR, 36 * HOUR, 7 * DAY]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
    for (const bytes of [0, 1, 1023, KIB, 3 * MIB + KIB, GIB, 5 * TIB]) {
      assert.equal(parseMemorySize(formatMemorySize(bytes)), bytes);
    }
  });
});

describe('durationOption', () => {
  const askTimeout = durationOption({
    key: 'rpc.ask-timeout',
    defaultMs: 10 * SECOND,
    description: 'How long an RPC waits for an answer.',
  });

  it('exposes key, type, default, rendered default, description and expected form for the docs', () => {
    assert.equal(askTimeout.key, 'rpc.ask-timeout');
    assert.equal(askTimeout.type, 'duration');
    assert.equal(askTimeout.defaultValue, 10_000);
    assert.equal(askTimeout.defaultText, '10 s');
    assert.equal(askTimeout.description, 'How long an RPC waits for an answer.');
    assert.equal(askTimeout.expectedForm, "a duration such as '10 s', '500 ms' or '2 min'");
    assert.equal(askTimeout.format(askTimeout.defaultValue), '10 s');
  });

  it('parses a trimmed duration into milliseconds', () => {
    assert.equal(askTimeout.parse(' 2 min '), 2 * MINUTE);
  });

  it('refuses "ten seconds" with the key, the value, the source and the expected form', () => {
    const error = configurationError(() => askTimeout.parse('ten seconds', 'EDDY_PROPERTIES'));
    assert.equal(
      error.message,
      "Invalid value 'ten seconds' for rpc.ask-timeout (from EDDY_PROPERTIES): expected a duration such as '10 s', '500 ms' or '2 min'",
    );
    assert.equal(error.name, 'ConfigurationError');
    assert.equal(error.key, 'rpc.ask-timeout');
    assert.equal(error.rawValue, 'ten seconds');
    assert.equal(error.source, 'EDDY_PROPERTIES');
    assert.equal(error.expectedForm, askTimeout.expectedForm);
  });

  it('refuses a negative duration with the key and the expected form', () => {
    const error = configurationError(() => askTimeout.parse('-5 s', 'command line'));
    assert.match(error.message, /^Invalid value '-5 s' for rpc\.ask-timeout \(from command line\): expected a duration/);
  });

  it('leaves the source out of the message when none is given', () => {
    const error = configurationError(() => askTimeout.parse('soon'));
    assert.equal(
      error.message,
      "Invalid value 'soon' for rpc.ask-timeout: expected a duration such as '10 s', '500 ms' or '2 min'",
    );
    assert.equal(error.source, undefined);
  });

  it('refuses a duration below minMs and states the minimum in the expected form', () => {
    const heartbeat = durationOption({
      key: 'heartbeat.interval',
      defaultMs: 10 * SECOND,
      minMs: 100,
      description: 'Time between heartbeats.',
    });
    assert.equal(heartbeat.parse('100 ms'), 100);
    const error = configurationError(() => heartbeat.parse('99 ms', 'command line'));
    assert.equal(
      error.message,
      "Invalid value '99 ms' for heartbeat.interval (from command line): expected a duration of at least 100 ms, such as '10 s', '500 ms' or '2 min'",
    );
  });

  it('refuses to declare a default below minMs, a negative default or a malformed key', () => {
    assert.throws(
      () => durationOption({ key: 'a.b', defaultMs: 5, minMs: 10, description: '' }),
      /Bad declaration of config option 'a\.b': defaultMs must not be below minMs/,
    );
    assert.throws(() => durationOption({ key: 'a.b', defaultMs: -1, description: '' }), /defaultMs must be a whole number/);
    assert.throws(() => durationOption({ key: 'a..b', defaultMs: 1, description: '' }), /the key must be/);
    assert.throws(() => durationOption({ key: 'a b', defaultMs: 1, description: '' }), /the key must be/);
  });
});

describe('memorySizeOption', () => {
  const bufferSize = memorySizeOption({
    key: 'taskmanager.memory.segment-size',
    defaultBytes: 32 * KIB,
    minBytes: 4 * KIB,
    description: 'Size of a network buffer.',
  });

  it('exposes its type, its default in bytes and the default in human form', () => {
    assert.equal(bufferSize.type, 'memory-size');
    assert.equal(bufferSize.defaultValue, 32_768);
    assert.equal(bufferSize.defaultText, '32 kb');
    assert.equal(bufferSize.format(10 * MIB), '10 mb');
  });

  it('parses a memory size into bytes', () => {
    assert.equal(bufferSize.parse('64 kb'), 64 * KIB);
  });

  it('refuses a size below minBytes and an unknown unit with the key, the value and the source', () => {
    assert.equal(
      configurationError(() => bufferSize.parse('1 kb', 'config file /etc/eddy.conf')).message,
      "Invalid value '1 kb' for taskmanager.memory.segment-size (from config file /etc/eddy.conf): expected a memory size of at least 4 kb, such as '64 mb', '512 kb' or '1 gb'",
    );
    assert.match(configurationError(() => bufferSize.parse('64 kilobits')).message, /^Invalid value '64 kilobits' for taskmanager/);
  });

  it('refuses to declare a default below minBytes', () => {
    assert.throws(
      () => memorySizeOption({ key: 'x.y', defaultBytes: 1, minBytes: 2, description: '' }),
      /defaultBytes must not be below minBytes/,
    );
  });
});

describe('integerOption', () => {
  const slots = integerOption({ key: 'taskmanager.slots', defaultValue: 1, min: 1, max: 64, description: 'Slots.' });
  const offset = integerOption({ key: 'test.offset', defaultValue: 0, description: 'Any whole number.' });

  it('parses whole numbers, including negative ones when unbounded, after trimming', () => {
    assert.equal(slots.parse(' 8 '), 8);
    assert.equal(offset.parse('-12'), -12);
    assert.equal(offset.parse('+3'), 3);
    assert.equal(offset.defaultText, '0');
    assert.equal(offset.type, 'integer');
  });

  it('refuses fractions, exponents, hexadecimal, words and empty text', () => {
    for (const text of ['1.5', '2.0', '1e3', '0x10', 'four', '', '3 slots']) {
      const error = configurationError(() => offset.parse(text, 'command line'));
      assert.equal(error.message, `Invalid value '${text}' for test.offset (from command line): expected a whole number`);
    }
  });

  it('refuses numbers outside min and max and states the range', () => {
    for (const text of ['0', '65', '-1']) {
      const error = configurationError(() => slots.parse(text, 'command line'));
      assert.equal(
        error.message,
        `Invalid value '${text}' for taskmanager.slots (from command line): expected a whole number from 1 to 64`,
      );
    }
    assert.equal(slots.parse('1'), 1);
    assert.equal(slots.parse('64'), 64);
  });

  it('states a one-sided bound in the expected form', () => {
    assert.equal(integerOption({ key: 'a', defaultValue: 0, min: 0, description: '' }).expectedForm, 'a whole number of at least 0');
    assert.equal(integerOption({ key: 'a', defaultValue: 0, max: 9, description: '' }).expectedForm, 'a whole number of at most 9');
  });

  it('refuses numbers too large to hold exactly', () => {
    configurationError(() => offset.parse('9007199254740993'));
  });

  it('refuses to declare a fractional default or one outside min and max', () => {
    assert.throws(() => integerOption({ key: 'a', defaultValue: 1.5, description: '' }), /defaultValue must be a whole number/);
    assert.throws(
      () => integerOption({ key: 'a', defaultValue: 0, min: 1, max: 3, description: '' }),
      /defaultValue must lie within min and max/,
    );
    assert.throws(() => integerOption({ key: 'a', defaultValue: 2, min: 3, max: 1, description: '' }), /min must not exceed max/);
  });
});

describe('doubleOption', () => {
  const multiplier = doubleOption({ key: 'test.multiplier', defaultValue: 1.5, min: 1, description: 'A factor.' });
  const jitter = doubleOption({ key: 'test.jitter', defaultValue: 0.1, min: 0, max: 1, description: 'A fraction.' });
  const offset = doubleOption({ key: 'test.offset', defaultValue: 0, description: 'Any number.' });

  it('parses decimals, whole numbers and exponents after trimming', () => {
    assert.equal(multiplier.parse(' 2.5 '), 2.5);
    assert.equal(multiplier.parse('2'), 2);
    assert.equal(multiplier.parse('2.'), 2);
    assert.equal(jitter.parse('.25'), 0.25);
    assert.equal(offset.parse('-1.5e2'), -150);
    assert.equal(offset.parse('+3E-1'), 0.3);
    assert.ok(Object.is(offset.parse('-0'), 0));
    assert.equal(multiplier.type, 'double');
    assert.equal(multiplier.defaultText, '1.5');
  });

  it('renders values that parse back to the same number', () => {
    for (const value of [1.5, 2, 0.1, 1e-7, 123456.789]) {
      assert.equal(offset.parse(offset.format(value)), value);
    }
  });

  it('refuses words, NaN, infinities, hexadecimal, commas and empty text', () => {
    for (const text of ['one', 'NaN', 'Infinity', '1e999', '0x10', '1,5', '', '1.5.2', '.', '2 x']) {
      const error = configurationError(() => offset.parse(text, 'command line'));
      assert.equal(error.message, `Invalid value '${text}' for test.offset (from command line): expected a number such as '0'`);
    }
  });

  it('refuses numbers outside min and max and states the range', () => {
    assert.equal(
      configurationError(() => jitter.parse('1.01', 'command line')).message,
      "Invalid value '1.01' for test.jitter (from command line): expected a number from 0 to 1, such as '0.1'",
    );
    assert.equal(
      configurationError(() => multiplier.parse('0.5')).message,
      "Invalid value '0.5' for test.multiplier: expected a number of at least 1, such as '1.5'",
    );
    assert.equal(jitter.parse('0'), 0);
    assert.equal(jitter.parse('1'), 1);
  });

  it('refuses to declare a non-finite default or one outside min and max', () => {
    assert.throws(() => doubleOption({ key: 'a', defaultValue: Number.NaN, description: '' }), /defaultValue must be a finite number/);
    assert.throws(() => doubleOption({ key: 'a', defaultValue: 0.5, min: 1, description: '' }), /defaultValue must lie within min and max/);
    assert.throws(() => doubleOption({ key: 'a', defaultValue: 1, min: 2, max: 1, description: '' }), /min must not exceed max/);
  });
});

describe('booleanOption', () => {
  const enabled = booleanOption({ key: 'metrics.enabled', defaultValue: false, description: 'Report metrics.' });

  it('parses true and false in any case', () => {
    assert.equal(enabled.parse('true'), true);
    assert.equal(enabled.parse(' TRUE '), true);
    assert.equal(enabled.parse('False'), false);
    assert.equal(enabled.type, 'boolean');
    assert.equal(enabled.defaultText, 'false');
  });

  it('refuses yes, 1 and empty text with the expected form', () => {
    for (const text of ['yes', '1', '']) {
      assert.equal(
        configurationError(() => enabled.parse(text, 'EDDY_PROPERTIES')).message,
        `Invalid value '${text}' for metrics.enabled (from EDDY_PROPERTIES): expected 'true' or 'false'`,
      );
    }
  });
});

describe('stringOption', () => {
  it('returns the trimmed text and accepts anything', () => {
    const address = stringOption({ key: 'jobmanager.rpc.address', defaultValue: 'localhost', description: 'Host.' });
    assert.equal(address.parse('  host:6123 '), 'host:6123');
    assert.equal(address.parse(''), '');
    assert.equal(address.type, 'string');
    assert.equal(address.defaultText, 'localhost');
    assert.equal(address.expectedForm, 'any text');
  });
});

describe('enumOption', () => {
  const mode = enumOption({
    key: 'execution.mode',
    values: ['streaming', 'batch', 'automatic'],
    defaultValue: 'streaming',
    description: 'How jobs run.',
  });

  it('returns the declared spelling of a value given in any case', () => {
    assert.equal(mode.parse('batch'), 'batch');
    assert.equal(mode.parse(' BATCH '), 'batch');
    assert.equal(mode.type, 'enum');
    assert.equal(mode.defaultText, 'streaming');
    assert.deepEqual(mode.values, ['streaming', 'batch', 'automatic']);
  });

  it('refuses an unknown value and lists the allowed ones', () => {
    assert.equal(
      configurationError(() => mode.parse('turbo', 'command line')).message,
      "Invalid value 'turbo' for execution.mode (from command line): expected one of 'streaming', 'batch' or 'automatic'",
    );
  });

  it('refuses to declare a default that is not one of the values, or no values at all', () => {
    assert.throws(
      () => enumOption({ key: 'a', values: ['x', 'y'] as readonly string[], defaultValue: 'z', description: '' }),
      /defaultValue must be one of values/,
    );
    assert.throws(() => enumOption({ key: 'a', values: [] as readonly string[], defaultValue: '', description: '' }), /values must not be empty/);
  });
});

describe('ConfigurationError', () => {
  it('returns a single problem unchanged when combining one', () => {
    const only = ConfigurationError.invalidValue('a.b', 'x', 'command line', 'a whole number');
    assert.equal(ConfigurationError.combine([only]), only);
    assert.deepEqual(only.problems, [only]);
  });

  it('lists several problems on their own lines in one error', () => {
    const first = ConfigurationError.invalidValue('a.b', 'x', 'command line', 'a whole number');
    const second = ConfigurationError.invalidValue('c.d', 'y', 'EDDY_PROPERTIES', "'true' or 'false'");
    const combined = ConfigurationError.combine([first, second]);
    assert.equal(combined.name, 'ConfigurationError');
    assert.equal(
      combined.message,
      [
        '2 configuration problems:',
        "  - Invalid value 'x' for a.b (from command line): expected a whole number",
        "  - Invalid value 'y' for c.d (from EDDY_PROPERTIES): expected 'true' or 'false'",
      ].join('\n'),
    );
    assert.deepEqual(combined.problems, [first, second]);
    assert.equal(combined.key, undefined);
  });

  it('flattens combined errors when they are combined again', () => {
    const a = new ConfigurationError('a');
    const b = new ConfigurationError('b');
    const c = new ConfigurationError('c');
    const combined = ConfigurationError.combine([ConfigurationError.combine([a, b]), c]);
    assert.deepEqual(combined.problems, [a, b, c]);
    assert.equal(combined.message, '3 configuration problems:\n  - a\n  - b\n  - c');
  });
});
