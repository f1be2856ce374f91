import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { booleanOption, durationOption, enumOption, integerOption, stringOption } from '../../src/config/config-option.js';
import {
  Configuration,
  ConfigurationError,
  loadConfiguration,
  parseProperties,
} from '../../src/config/configuration.js';
import { configurationError } from './configuration-error-assertion.js';

const askTimeout = durationOption({ key: 'rpc.ask-timeout', defaultMs: 10_000, description: 'RPC ask timeout.' });
const slots = integerOption({ key: 'taskmanager.slots', defaultValue: 1, min: 1, description: 'Task slots.' });
const metrics = booleanOption({ key: 'metrics.enabled', defaultValue: false, description: 'Report metrics.' });
const address = stringOption({ key: 'jobmanager.rpc.address', defaultValue: 'localhost', description: 'Address.' });
const mode = enumOption({
  key: 'execution.mode',
  values: ['streaming', 'batch'],
  defaultValue: 'streaming',
  description: 'Mode.',
});
const options = [askTimeout, slots, metrics, address, mode];

describe('parseProperties', () => {
  it('reads one key: value per line with keys and values trimmed', () => {
    const properties = parseProperties('rpc.ask-timeout: 10 s\n  taskmanager.slots :4  \n', 'test');
    assert.deepEqual([...properties], [
      ['rpc.ask-timeout', '10 s'],
      ['taskmanager.slots', '4'],
    ]);
  });

  it('ignores blank lines and lines starting with #, even when indented', () => {
    const text = ['# a comment', '', '   ', 'metrics.enabled: true', '   # indented comment', '\t'].join('\n');
    assert.deepEqual([...parseProperties(text, 'test')], [['metrics.enabled', 'true']]);
  });

  it('keeps further colons in the value and splits at the first one', () => {
    const properties = parseProperties('jobmanager.rpc.address: host:6123\nurl: http://a:1/b', 'test');
    assert.equal(properties.get('jobmanager.rpc.address'), 'host:6123');
    assert.equal(properties.get('url'), 'http://a:1/b');
  });

  it('keeps a # that follows a value as part of the value', () => {
    assert.equal(parseProperties('secret: abc#def', 'test').get('secret'), 'abc#def');
  });

  it('accepts an empty value', () => {
    assert.equal(parseProperties('empty.value:', 'test').get('empty.value'), '');
  });

  it('accepts Windows line endings', () => {
    assert.deepEqual([...parseProperties('a: 1\r\nb: 2\r\n', 'test')], [
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('lets the last line win when a key repeats', () => {
    assert.equal(parseProperties('a: 1\na: 2', 'test').get('a'), '2');
  });

  it('refuses a line without a colon, naming the source and the line number', () => {
    const error = configurationError(() => parseProperties('a: 1\n\nrpc.ask-timeout 10 s\n', 'EDDY_PROPERTIES'));
    assert.equal(error.message, "Invalid line 3 in EDDY_PROPERTIES: expected 'key: value' but found 'rpc.ask-timeout 10 s'");
    assert.equal(error.source, 'EDDY_PROPERTIES');
  });

  it('refuses a line with an empty key, naming the source and the line number', () => {
    const error = configurationError(() => parseProperties('# header\n  : 10 s', 'config file /etc/eddy.conf'));
    assert.equal(error.message, "Invalid line 2 in config file /etc/eddy.conf: expected 'key: value' but found ': 10 s'");
  });

  it('reports every bad line in one error', () => {
    const error = configurationError(() => parseProperties('one\na: 1\ntwo\n: three', 'test'));
    assert.equal(error.problems.length, 3);
    assert.deepEqual(
      error.message.split('\n'),
      [
        '3 configuration problems:',
        "  - Invalid line 1 in test: expected 'key: value' but found 'one'",
        "  - Invalid line 3 in test: expected 'key: value' but found 'two'",
        "  - Invalid line 4 in test: expected 'key: value' but found ': three'",
      ],
    );
  });
});

describe('Configuration', () => {
  it('yields the default of an option that is not set, with source default', () => {
    const configuration = Configuration.empty();
    assert.equal(configuration.get(askTimeout), 10_000);
    assert.equal(configuration.has('rpc.ask-timeout'), false);
    assert.equal(configuration.getRaw('rpc.ask-timeout'), undefined);
    assert.equal(configuration.sourceOf('rpc.ask-timeout'), 'default');
    assert.deepEqual(configuration.toRecord(), {});
  });

  it('parses a set value through its option and reports its raw string and source', () => {
    const configuration = Configuration.fromRecord({ 'rpc.ask-timeout': ' 2 min ', 'execution.mode': 'BATCH' }, 'test');
    assert.equal(configuration.get(askTimeout), 120_000);
    assert.equal(configuration.get(mode), 'batch');
    assert.equal(configuration.getRaw('rpc.ask-timeout'), '2 min');
    assert.equal(configuration.has('rpc.ask-timeout'), true);
    assert.equal(configuration.sourceOf('rpc.ask-timeout'), 'test');
  });

  it("attributes fromRecord values to 'code' unless told otherwise", () => {
    assert.equal(Configuration.fromRecord({ a: '1' }).sourceOf('a'), 'code');
  });

  it('returns a new configuration from withOverrides and leaves the original unchanged', () => {
    const base = Configuration.fromRecord({ a: '1', b: '2' }, 'base');
    const overridden = base.withOverrides({ b: '3', c: '4' }, 'override');
    assert.notEqual(overridden, base);
    assert.deepEqual(base.toRecord(), { a: '1', b: '2' });
    assert.deepEqual(overridden.toRecord(), { a: '1', b: '3', c: '4' });
    assert.equal(overridden.sourceOf('a'), 'base');
    assert.equal(overridden.sourceOf('b'), 'override');
    assert.deepEqual(overridden.keys(), ['a', 'b', 'c']);
  });

  it('cannot be modified in place', () => {
    const configuration = Configuration.fromRecord({ a: '1' });
    assert.throws(() => Object.assign(configuration, { extra: true }), TypeError);
    const record = configuration.toRecord();
    record['a'] = 'changed';
    assert.equal(configuration.getRaw('a'), '1');
  });

  it('refuses an empty key', () => {
    const error = configurationError(() => Configuration.fromRecord({ ' ': 'x' }, 'test'));
    assert.equal(error.message, "Invalid empty key (from test) with value 'x'");
  });

  it('names the source of a bad value when it is read', () => {
    const configuration = Configuration.fromRecord({ 'taskmanager.slots': '1.5' }, 'config file /etc/eddy.conf');
    assert.equal(
      configurationError(() => configuration.get(slots)).message,
      "Invalid value '1.5' for taskmanager.slots (from config file /etc/eddy.conf): expected a whole number of at least 1",
    );
  });
});

describe('loadConfiguration', () => {
  let directory = '';
  let fileCount = 0;

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'eddy-config-test-'));
  });

  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function configFile(text: string): string {
    fileCount += 1;
    const path = join(directory, `eddy-${fileCount}.conf`);
    writeFileSync(path, text);
    return path;
  }

  it('yields defaults and no keys when given no sources', () => {
    const configuration = loadConfiguration({ options });
    assert.deepEqual(configuration.toRecord(), {});
    assert.equal(configuration.get(askTimeout), 10_000);
    assert.equal(configuration.get(address), 'localhost');
  });

  it('lets each layer win over the ones below it: command line > EDDY_PROPERTIES > config file > default', () => {
    const path = configFile(
      ['rpc.ask-timeout: 1 s', 'taskmanager.slots: 2', 'metrics.enabled: true'].join('\n'),
    );
    const configuration = loadConfiguration({
      configFile: path,
      environment: { EDDY_PROPERTIES: 'rpc.ask-timeout: 2 s\ntaskmanager.slots: 3' },
      flags: ['rpc.ask-timeout=3 s'],
      options,
    });
    // Set in all three layers: the command line wins.
    assert.equal(configuration.get(askTimeout), 3000);
    assert.equal(configuration.sourceOf('rpc.ask-timeout'), 'command line');
    // Set in the environment and the file: the environment wins.
    assert.equal(configuration.get(slots), 3);
    assert.equal(configuration.sourceOf('taskmanager.slots'), 'EDDY_PROPERTIES');
    // Set only in the file: the file wins over the default.
    assert.equal(configuration.get(metrics), true);
    assert.equal(configuration.sourceOf('metrics.enabled'), `config file ${path}`);
    // Set nowhere: the default.
    assert.equal(configuration.get(address), 'localhost');
    assert.equal(configuration.sourceOf('jobmanager.rpc.address'), 'default');
  });

  it('lets the command line win over the config file when EDDY_PROPERTIES does not set the key', () => {
    const path = configFile('taskmanager.slots: 2');
    const configuration = loadConfiguration({
      configFile: path,
      environment: { EDDY_PROPERTIES: 'metrics.enabled: true' },
      flags: { 'taskmanager.slots': '5' },
      options,
    });
    assert.equal(configuration.get(slots), 5);
    assert.equal(configuration.sourceOf('taskmanager.slots'), 'command line');
  });

  it('accepts flags as a record as well as key=value strings, splitting strings at the first =', () => {
    const fromList = loadConfiguration({ flags: ['jobmanager.rpc.address = a=b ', 'metrics.enabled=TRUE'], options });
    assert.equal(fromList.get(address), 'a=b');
    assert.equal(fromList.get(metrics), true);
    const fromRecord = loadConfiguration({ flags: { 'jobmanager.rpc.address': 'host:6123' }, options });
    assert.equal(fromRecord.get(address), 'host:6123');
    assert.equal(fromRecord.sourceOf('jobmanager.rpc.address'), 'command line');
  });

  it('reads EDDY_PROPERTIES only from the given environment and ignores other variables', () => {
    const configuration = loadConfiguration({
      environment: { OTHER: 'rpc.ask-timeout: 1 s', EDDY_PROPERTIES: undefined },
      options,
    });
    assert.deepEqual(configuration.toRecord(), {});
  });

  it('keeps keys that no declared option knows', () => {
    const configuration = loadConfiguration({
      flags: ['future.component.knob=anything'],
      environment: { EDDY_PROPERTIES: 'another.unknown: 7' },
      options,
    });
    assert.equal(configuration.getRaw('future.component.knob'), 'anything');
    assert.equal(configuration.getRaw('another.unknown'), '7');
    assert.equal(configuration.sourceOf('another.unknown'), 'EDDY_PROPERTIES');
  });

  it('does not complain about a bad value that a higher layer overrides', () => {
    const path = configFile('rpc.ask-timeout: ten seconds');
    const configuration = loadConfiguration({ configFile: path, flags: ['rpc.ask-timeout=10 s'], options });
    assert.equal(configuration.get(askTimeout), 10_000);
  });

  it('names EDDY_PROPERTIES as the source of a bad value from the environment', () => {
    const error = configurationError(() =>
      loadConfiguration({ environment: { EDDY_PROPERTIES: 'rpc.ask-timeout: ten seconds' }, options }),
    );
    assert.equal(
      error.message,
      "Invalid value 'ten seconds' for rpc.ask-timeout (from EDDY_PROPERTIES): expected a duration such as '10 s', '500 ms' or '2 min'",
    );
    assert.equal(error.key, 'rpc.ask-timeout');
    assert.equal(error.rawValue, 'ten seconds');
    assert.equal(error.source, 'EDDY_PROPERTIES');
  });

  it('names the config file path as the source of a bad value from the file', () => {
    const path = configFile('taskmanager.slots: 0');
    const error = configurationError(() => loadConfiguration({ configFile: path, options }));
    assert.equal(
      error.message,
      `Invalid value '0' for taskmanager.slots (from config file ${path}): expected a whole number of at least 1`,
    );
  });

  it('names the command line as the source of a bad value from a flag', () => {
    const error = configurationError(() => loadConfiguration({ flags: ['execution.mode=turbo'], options }));
    assert.equal(
      error.message,
      "Invalid value 'turbo' for execution.mode (from command line): expected one of 'streaming' or 'batch'",
    );
  });

  it('reports every bad value in one error, one per line, each with its key, value, source and expected form', () => {
    const path = configFile('metrics.enabled: yes');
    const error = configurationError(() =>
      loadConfiguration({
        configFile: path,
        environment: { EDDY_PROPERTIES: 'taskmanager.slots: 2.5' },
        flags: ['rpc.ask-timeout=-5 s'],
        options,
      }),
    );
    assert.deepEqual(error.message.split('\n'), [
      '3 configuration problems:',
      "  - Invalid value '-5 s' for rpc.ask-timeout (from command line): expected a duration such as '10 s', '500 ms' or '2 min'",
      "  - Invalid value '2.5' for taskmanager.slots (from EDDY_PROPERTIES): expected a whole number of at least 1",
      `  - Invalid value 'yes' for metrics.enabled (from config file ${path}): expected 'true' or 'false'`,
    ]);
    assert.deepEqual(
      error.problems.map((problem) => [problem.key, problem.source]),
      [
        ['rpc.ask-timeout', 'command line'],
        ['taskmanager.slots', 'EDDY_PROPERTIES'],
        ['metrics.enabled', `config file ${path}`],
      ],
    );
  });

  it('refuses a -D flag without =, naming the flag', () => {
    const error = configurationError(() => loadConfiguration({ flags: ['rpc.ask-timeout'], options }));
    assert.equal(
      error.message,
      "Invalid flag '-Drpc.ask-timeout' (from command line): expected -Dkey=value, e.g. -Drpc.ask-timeout=10s",
    );
    assert.equal(error.rawValue, 'rpc.ask-timeout');
  });

  it('refuses a -D flag with an empty key', () => {
    const error = configurationError(() => loadConfiguration({ flags: ['=10 s'], options }));
    assert.match(error.message, /^Invalid flag '-D=10 s' \(from command line\): expected -Dkey=value/);
  });

  it('refuses a config file that does not exist, naming the path and the cause', () => {
    const path = join(directory, 'missing.conf');
    const error = configurationError(() => loadConfiguration({ configFile: path, options }));
    assert.match(error.message, /^Cannot read config file .*missing\.conf: ENOENT: no such file or directory/);
    assert.ok(error.message.includes(path));
    assert.equal(error.source, `config file ${path}`);
    assert.ok(error.cause instanceof Error);
  });

  it('refuses a config file that cannot be read, naming the path and the cause', () => {
    const error = configurationError(() => loadConfiguration({ configFile: directory, options }));
    assert.equal(error.message.startsWith(`Cannot read config file ${directory}: EISDIR`), true, error.message);
  });

  it('refuses a bad properties line in the config file with its line number', () => {
    const path = configFile('# eddy\nrpc.ask-timeout: 1 s\njust some words\n');
    const error = configurationError(() => loadConfiguration({ configFile: path, options }));
    assert.equal(error.message, `Invalid line 3 in config file ${path}: expected 'key: value' but found 'just some words'`);
  });

  it('refuses a bad properties line in EDDY_PROPERTIES with its line number', () => {
    const error = configurationError(() =>
      loadConfiguration({ environment: { EDDY_PROPERTIES: 'metrics.enabled: true\nslots=4' }, options }),
    );
    assert.equal(error.message, "Invalid line 2 in EDDY_PROPERTIES: expected 'key: value' but found 'slots=4'");
  });

  it('reports malformed flags, unreadable files and bad values together', () => {
    const path = join(directory, 'absent.conf');
    const error = configurationError(() =>
      loadConfiguration({
        configFile: path,
        environment: { EDDY_PROPERTIES: 'no colon here\nmetrics.enabled: maybe' },
        flags: ['oops', 'taskmanager.slots=many'],
        options,
      }),
    );
    const lines = error.message.split('\n');
    assert.equal(lines[0], '5 configuration problems:');
    assert.equal(error.problems.length, 5);
    assert.match(error.message, /Cannot read config file .*absent\.conf/);
    assert.match(error.message, /Invalid line 1 in EDDY_PROPERTIES/);
    assert.match(error.message, /Invalid flag '-Doops'/);
    assert.match(error.message, /Invalid value 'many' for taskmanager\.slots \(from command line\)/);
    assert.match(error.message, /Invalid value 'maybe' for metrics\.enabled \(from EDDY_PROPERTIES\)/);
  });

  it('reports a bad value only once when an option is declared twice', () => {
    const error = configurationError(() =>
      loadConfiguration({ flags: ['taskmanager.slots=x'], options: [slots, slots] }),
    );
    assert.equal(error.problems.length, 1);
  });
});
