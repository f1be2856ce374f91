/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked against the code without a
 * container engine: the eddy commands and flags they use exist and parse, every EDDY_PROPERTIES
 * key is a declared option with a valid value, ports and service names fit together, and every
 * file the image is built from exists and reaches the build context.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { createProgram } from '@eddy/cli';
import { loadConfiguration, type Configuration } from '@eddy/common';
import { allRuntimeOptions, JobManagerOptions, MetricOptions, RestOptions, TaskManagerOptions } from '@eddy/runtime';
import { baseImageOf, copiesOf, DockerIgnore, execForm, parseDockerfile, type Stage } from './dockerfile.js';
import { parse as parseYaml } from 'yaml';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(join(repo, path), 'utf8');

/** What a YAML document holds, as the checks below read it. */
type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
type Mapping = { [key: string]: YamlValue };

function mapping(value: YamlValue | undefined, what: string): Mapping {
  assert.ok(value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value), `${what} is a mapping`);
  return value;
}

function text(value: YamlValue | undefined, what: string): string {
  assert.equal(typeof value, 'string', `${what} is a string`);
  return value as string;
}

function list(value: YamlValue | undefined): string[] {
  if (value === undefined) return [];
  assert.ok(Array.isArray(value) && value.every((item) => typeof item === 'string'), 'a list of strings');
  return value as string[];
}

const compose = mapping(parseYaml(read('docker-compose.yml')) as YamlValue, 'docker-compose.yml');
const allServices = mapping(compose['services'], 'services');
/** Eddy's services: those outside a profile (`--profile kafka` adds a broker from another image). */
const services: Mapping = Object.fromEntries(Object.entries(allServices).filter(([, value]) => mapping(value, 'a service')['profiles'] === undefined));
const service = (name: string): Mapping => mapping(services[name], `service ${name}`);
const stages = parseDockerfile(read('Dockerfile'));
const finalStage = stages.at(-1) as Stage;
const lastOf = (keyword: string) => finalStage.instructions.filter((i) => i.keyword === keyword).at(-1);
const entrypoint = execForm(lastOf('ENTRYPOINT')) ?? [];

/** The services that run a given eddy subcommand. */
const servicesRunning = (subcommand: string): string[] =>
  Object.keys(services).filter((name) => text(service(name)['command'], `${name}'s command`).split(/\s+/)[0] === subcommand);

/** What a service's EDDY_PROPERTIES configure, loaded as `eddy` loads it, with every runtime option validated. */
function configurationOf(name: string): Configuration {
  const environment = mapping(service(name)['environment'], `${name}'s environment`);
  const properties = text(environment['EDDY_PROPERTIES'], `${name}'s EDDY_PROPERTIES`);
  return loadConfiguration({ environment: { EDDY_PROPERTIES: properties }, options: allRuntimeOptions() });
}

/**
 * Parses `argv` (without the program name) with the real eddy program, its actions replaced so
 * that nothing starts. Throws commander's error for an unknown command, option or missing value;
 * --help counts as parsed.
 */
function parseEddyArguments(argv: string[]): void {
  const program = createProgram();
  const quiet = (command: Command): void => {
    command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    if (command.commands.length === 0) command.action(() => undefined);
    command.commands.forEach(quiet);
  };
  quiet(program);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.helpDisplayed') return;
    throw error;
  }
}

describe('docker-compose.yml', () => {
  const [jobManagerService] = servicesRunning('jobmanager');
  const taskManagerServices = servicesRunning('taskmanager');

  it('runs one JobManager service and one TaskManager service, both from the image the Dockerfile builds', () => {
    assert.deepEqual(servicesRunning('jobmanager'), ['jobmanager']);
    assert.deepEqual(taskManagerServices, ['taskmanager']);
    const images = Object.keys(services).map((name) => text(service(name)['image'], `${name}'s image`));
    assert.equal(new Set(images).size, 1, `one image for every service: ${images.join(', ')}`);
    const builders = Object.keys(services).filter((name) => service(name)['build'] !== undefined);
    assert.ok(builders.length >= 1, 'a service builds the image');
    for (const name of builders) assert.ok(existsSync(join(repo, text(service(name)['build'], `${name}'s build`), 'Dockerfile')), `${name} builds from the Dockerfile`);
  });

  it('gives every service an eddy command whose subcommand and flags exist and parse', () => {
    assert.deepEqual(entrypoint, ['eddy'], 'the image runs eddy');
    for (const name of Object.keys(services)) {
      const argv = text(service(name)['command'], `${name}'s command`).split(/\s+/);
      assert.doesNotThrow(() => parseEddyArguments(argv), `service ${name}: eddy ${argv.join(' ')}`);
    }
  });

  it('would catch a command or flag that eddy does not know', () => {
    assert.throws(() => parseEddyArguments(['jobmanger']), /unknown command 'jobmanger'/);
    assert.throws(() => parseEddyArguments(['taskmanager', '--slot', '2']), /unknown option '--slot'/);
  });

  it('sets only declared options in EDDY_PROPERTIES, each with a valid value', () => {
    const declared = new Set(allRuntimeOptions().map((option) => option.key));
    for (const name of Object.keys(services)) {
      const configuration = configurationOf(name);
      assert.ok(configuration.keys().length > 0, `${name} configures something`);
      for (const key of configuration.keys()) assert.ok(declared.has(key), `${name}: '${key}' is a declared option`);
    }
  });

  it("publishes the JobManager's RPC, REST and metrics ports on the host's loopback only, and no other", () => {
    const jobManager = configurationOf(jobManagerService as string);
    const port = jobManager.get(JobManagerOptions.port);
    const restPort = jobManager.get(RestOptions.port);
    const metricsPort = Number(jobManager.get(MetricOptions.promPort));
    assert.equal(port, JobManagerOptions.port.defaultValue, 'the default port, which clients use without -m');
    assert.equal(restPort, RestOptions.port.defaultValue, "Flink's 8081");
    assert.equal(metricsPort, 9249, "Flink's Prometheus port");
    // Anyone who reaches these ports can run code on the cluster or cancel its jobs: never every interface.
    assert.deepEqual(list(service(jobManagerService as string)['ports']), [port, restPort, metricsPort].map((p) => `127.0.0.1:${p}:${p}`));
    for (const name of taskManagerServices) assert.equal(configurationOf(name).get(JobManagerOptions.port), port, `${name} registers at that port`);
    const exposed = finalStage.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    for (const published of [port, restPort, metricsPort]) assert.ok(exposed.includes(String(published)), `the image exposes ${published}`);
  });

  it('lets the JobManager listen on every interface and advertise its service name', () => {
    const jobManager = configurationOf(jobManagerService as string);
    assert.equal(jobManager.get(JobManagerOptions.bindHost), '0.0.0.0');
    assert.equal(jobManager.get(JobManagerOptions.address), jobManagerService);
  });

  it('points the TaskManagers at the JobManager service and has them advertise an address other containers reach', () => {
    for (const name of taskManagerServices) {
      const taskManager = configurationOf(name);
      assert.equal(taskManager.get(JobManagerOptions.address), jobManagerService, `${name} registers at the JobManager service`);
      assert.ok(list(service(name)['depends_on']).includes(jobManagerService as string), `${name} starts after the JobManager`);
      assert.equal(taskManager.get(TaskManagerOptions.bindHost), '0.0.0.0', `${name} listens on every interface`);
      // Empty with a wildcard bind host: the TaskManager advertises its address on the network it reaches the JobManager by.
      assert.ok(!['127.0.0.1', 'localhost', '0.0.0.0'].includes(taskManager.get(TaskManagerOptions.host)), `${name} must not advertise loopback`);
      assert.ok(taskManager.get(TaskManagerOptions.numberOfTaskSlots) >= 2, `${name} offers slots`);
    }
  });

  it('can scale the TaskManagers: several replicas, no container name, only a metrics port on a host port the engine picks', () => {
    for (const name of taskManagerServices) {
      const taskManager = service(name);
      const replicas = mapping(taskManager['deploy'], `${name}'s deploy`)['replicas'];
      assert.ok(typeof replicas === 'number' && replicas >= 2, `${name} has replicas`);
      assert.equal(taskManager['container_name'], undefined, `${name} has no container_name`);
      const metricsPort = Number(configurationOf(name).get(MetricOptions.promPort));
      assert.deepEqual(list(taskManager['ports']), [`127.0.0.1::${metricsPort}`], `${name} publishes its Prometheus endpoint only, on loopback, at any free host port`);
    }
  });
});

describe('the Dockerfile and .dockerignore', () => {
  it('starts a Kafka broker beside the cluster with --profile kafka, reachable from the containers as kafka:9092 and from the host on its loopback', () => {
    const kafka = mapping(allServices['kafka'], 'service kafka');
    assert.deepEqual(kafka['profiles'], ['kafka']);
    const environment = mapping(kafka['environment'], "kafka's environment");
    assert.match(text(environment['KAFKA_ADVERTISED_LISTENERS'], 'KAFKA_ADVERTISED_LISTENERS'), /PLAINTEXT:\/\/kafka:9092/);
    assert.ok(list(kafka['ports']).every((port) => port.startsWith('127.0.0.1:')), 'published on the loopback only');
  });

  it('builds every stage on the same Node.js 20 image', () => {
    const bases = stages.map((stage) => baseImageOf(stage, stages));
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    assert.deepEqual([...new Set(bases)], ['node:20-bookworm-slim']);
  });

  it('runs eddy, linked to the compiled CLI entry the package bin loads, as an unprivileged user, with a default command that parses', () => {
    // The package bin (packages/cli/bin/eddy.mjs) is a checked-in launcher that loads this entry and
    // says "run npm run build" when it is missing; an image is always built, so it links the entry.
    const launcher = read('packages/cli/bin/eddy.mjs');
    const entry = /new URL\('\.\.\/(dist\/src\/bin\/eddy\.js)'/.exec(launcher)?.[1];
    assert.ok(entry !== undefined, 'the launcher names the compiled entry');
    const workdir = lastOf('WORKDIR')?.args as string;
    const link = finalStage.instructions.find((i) => i.keyword === 'RUN' && /\bln -s\b.*\/usr\/local\/bin\/eddy$/.test(i.args));
    assert.ok(link !== undefined, 'eddy is linked onto the PATH');
    assert.match(link.args, new RegExp(`ln -s ${posix.join(workdir, 'packages/cli', entry)} /usr/local/bin/eddy`));
    const user = lastOf('USER')?.args;
    assert.ok(user !== undefined && !['root', '0'].includes(user), `runs as ${user ?? 'root'}`);
    assert.doesNotThrow(() => parseEddyArguments(execForm(lastOf('CMD')) ?? []));
  });

  it('copies the package.json of every workspace before installing, so none is missing from npm ci', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const copied = stages.flatMap((stage) => copiesOf(stage)).flatMap((copy) => copy.sources);
    for (const workspace of workspaces) assert.ok(copied.includes(`${workspace}/package.json`), `${workspace}/package.json is copied`);
  });

  it('copies into the final image only what the earlier stages built, the manifests and the examples', () => {
    for (const copy of copiesOf(finalStage)) {
      if (copy.from !== undefined) continue;
      assert.ok(copy.sources.every((source) => source.startsWith('examples/')), `line ${copy.line} copies ${copy.sources.join(' ')} from the build context`);
    }
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignore = new DockerIgnore(read('.dockerignore'));
    const sources = stages.flatMap((stage) => copiesOf(stage)).filter((copy) => copy.from === undefined);
    assert.ok(sources.length > 0);
    for (const copy of sources) {
      for (const source of copy.sources) {
        const matches = expand(source);
        assert.ok(matches.length > 0, `line ${copy.line}: ${source} exists`);
        for (const path of matches) {
          const files = filesUnder(path);
          assert.ok(files.some((file) => !ignore.excludes(file)), `line ${copy.line}: .dockerignore lets ${path} in`);
        }
      }
    }
  });

  it('keeps build output, dependencies and everything not copied out of the build context', () => {
    const ignore = new DockerIgnore(read('.dockerignore'));
    for (const path of ['node_modules/esbuild/package.json', 'packages/runtime/dist/src/index.js', 'packages/api/node_modules/x', '.git/HEAD', 'test/cluster/cluster-harness.ts', 'packages/runtime/test/blob/blob-store.test.ts', 'examples/dist/word-count.js', 'README.md']) {
      assert.ok(ignore.excludes(path), `${path} stays out`);
    }
    for (const path of ['packages/runtime/src/index.ts', 'packages/proto/src/generated/index.ts', 'package-lock.json']) assert.ok(!ignore.excludes(path), `${path} gets in`);
  });
});

/** The file itself, or every file below the directory (build output and dependencies aside). */
function filesUnder(path: string): string[] {
  const absolute = join(repo, path);
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute)
    .filter((name) => name !== 'node_modules' && name !== 'dist')
    .flatMap((name) => filesUnder(`${path}/${name}`));
}

/** The repository paths a COPY source names: itself, or the files its '*' in the last segment matches. */
function expand(source: string): string[] {
  const normalized = source.replace(/^\.\//, '').replace(/\/$/, '');
  if (!normalized.includes('*')) return existsSync(join(repo, normalized)) ? [normalized === '.' ? '' : normalized] : [];
  const directory = posix.dirname(normalized);
  const pattern = new RegExp(`^${posix.basename(normalized).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return existsSync(join(repo, directory)) ? readdirSync(join(repo, directory)).filter((name) => pattern.test(name)).map((name) => `${directory}/${name}`) : [];
}
