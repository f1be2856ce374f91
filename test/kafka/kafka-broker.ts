/**
 * A real Apache Kafka broker for tests: one KRaft node (broker and controller in one JVM), from the
 * jars scripts/install-kafka.sh fetches into a cache directory (installed here when missing; .ci/run
 * installs them first), started as `java -cp 'lib/*' kafka.Kafka server.properties` on 127.0.0.1 at
 * free ports, with its storage formatted first. One broker per test file, shared by its tests:
 * start it in before(), stop it in after(). stop() and start() again keep the ports and the data,
 * so a test can take the broker away mid-job and bring it back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, killOnSigterm, waitFor } from '../cluster/cluster-harness.js';

const INSTALL_SCRIPT = fileURLToPath(new URL('../../../scripts/install-kafka.sh', import.meta.url));
const READY_LINE = 'Kafka Server started';
const START_TIMEOUT_MS = 120_000;

export interface KafkaBrokerOptions {
  /** Extra server.properties, e.g. { 'transaction.max.timeout.ms': '60000' }. */
  readonly properties?: Record<string, string>;
}

/** The directory holding the broker's lib/, installing it first when needed (a few seconds from Maven's cache). */
function kafkaHome(): string {
  const result = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: 10 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`scripts/install-kafka.sh failed (exit ${result.status ?? result.signal}): ${result.stderr.trim() || result.error?.message}`);
  return result.stdout.trim().split('\n').at(-1) as string;
}

export class KafkaBroker {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  private output: string[] = [];

  private constructor(
    private readonly home: string,
    private readonly dir: string,
    readonly port: number,
  ) {
    killOnSigterm(() => {
      this.child?.kill('SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** Installs (when missing), formats and starts a broker; resolves once it serves clients. */
  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const home = kafkaHome();
    const dir = mkdtempSync(join(tmpdir(), 'eddy-kafka-'));
    const [port, controllerPort] = [await freePort(), await freePort()];
    const properties: Record<string, string> = {
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': join(dir, 'data'),
      'num.partitions': '1',
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '4',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'transaction.state.log.num.partitions': '4',
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
      'auto.create.topics.enable': 'false',
      ...options.properties,
    };
    writeFileSync(join(dir, 'server.properties'), Object.entries(properties).map(([key, value]) => `${key}=${value}\n`).join(''));
    writeFileSync(join(dir, 'log4j2.yaml'), LOG4J2_CONFIG);
    const format = spawnSync('java', ['-cp', join(home, 'lib', '*'), 'kafka.tools.StorageTool', 'format', '-t', 'EddyTestClusterId0000A', '-c', join(dir, 'server.properties')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (format.status !== 0) throw new Error(`formatting the Kafka broker's storage failed (exit ${format.status ?? format.signal}): ${format.stderr || format.stdout}`);
    const broker = new KafkaBroker(home, dir, port);
    await broker.startProcess();
    return broker;
  }

  /** host:port for bootstrap.servers. */
  get bootstrapServers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the broker again after stop(), on the same ports and data. */
  async restart(): Promise<void> {
    if (this.child !== undefined) throw new Error('the broker is running');
    await this.startProcess();
  }

  /** Stops the broker (SIGTERM, SIGKILL after 10 s); its data stays for restart(). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exit;
    clearTimeout(timer);
  }

  /** Stops the broker and removes its data directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startProcess(): Promise<void> {
    this.output = [];
    const child = spawn('java', ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.yaml')}`, '-cp', join(this.home, 'lib', '*'), 'kafka.Kafka', join(this.dir, 'server.properties')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let ready = false;
    let exited = false;
    const collect = (text: string): void => {
      this.output.push(text);
      if (this.output.length > 200) this.output.shift();
      if (text.includes(READY_LINE)) ready = true;
    };
    child.stdout?.setEncoding('utf8').on('data', collect);
    child.stderr?.setEncoding('utf8').on('data', collect);
    this.exit = new Promise((resolve) =>
      child.once('exit', () => {
        exited = true;
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    await waitFor(
      () => {
        if (exited) throw new Error(`the Kafka broker exited before it was ready: ${this.output.join('').slice(-3000)}`);
        return ready;
      },
      () => `the Kafka broker on ${this.bootstrapServers} to log "${READY_LINE}"; its output ends with: ${this.output.join('').slice(-3000)}`,
      START_TIMEOUT_MS,
      50,
    );
  }
}

/** Warnings and the broker's lifecycle lines only (the ready line among them). */
const LOG4J2_CONFIG = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
`;
