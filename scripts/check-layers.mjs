#!/usr/bin/env node
// Fails (exit 1) when an import crosses a layer of Eddy the wrong way, naming the rule, the
// importing file and what it reaches. dependency-cruiser reads the TypeScript sources of
// packages/*/ (dist/ left out); `@eddy/x` and `@eddy/x/sub` resolve to the package's source by
// its package.json exports (./dist/src/a.js -> src/a.ts), so a rule sees through package borders.
// Only imports that stay in the compiled JavaScript count (type-only ones are erased, and the
// tsconfig project references already order packages at build time), so a rule about what a
// thread loads means what it loads. `--root DIR` checks another checkout (the repository's own
// tests use it).
//
// The rules (docs/packages.md explains the layers and each rule):
//   layer-direction                packages depend one way:
//                                  proto <- common <- rpc <- cluster-common <- runtime <- cli, and
//                                  cluster-common <- client <- cli (src only; tests may use more)
//   api-imports-nothing-of-eddy    @eddy/api is bundled into user jobs: no other Eddy package
//   client-no-taskmanager-code     the client reaches no TaskManager or network code of the runtime,
//                                  directly or through anything it imports
//   runtime-grpc-only-through-rpc  the runtime reaches grpc-js only through @eddy/rpc
//   runtime-kafka-enumerator-only  the runtime reaches @eddy/connector-kafka only through its
//                                  `/enumerator` entry (the JobMaster runs a KafkaSource's enumerator)
//   task-worker-loads-no-pino      a task's worker thread (task-worker.ts and all it imports) does
//                                  not load pino or pino-pretty: tasks log through their TaskExecutor
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';

const args = process.argv.slice(2);
const rootFlag = args.indexOf('--root');
const root = rootFlag >= 0 ? resolve(args[rootFlag + 1] ?? '.') : join(fileURLToPath(import.meta.url), '..', '..');

/** The Eddy packages each package's src/ may import, besides itself. */
const MAY_IMPORT = {
  proto: [],
  common: ['proto'],
  rpc: ['common', 'proto'],
  'cluster-common': ['common', 'proto', 'rpc'],
  // connector-kafka: the JobMaster runs a KafkaSource's enumerator from the plan's data (its
  // `/enumerator` entry only; see runtime-kafka-enumerator-only).
  runtime: ['api', 'cluster-common', 'common', 'connector-kafka', 'proto', 'rpc'],
  client: ['api', 'cluster-common', 'common', 'proto', 'rpc'],
  cli: ['api', 'client', 'cluster-common', 'common', 'proto', 'rpc', 'runtime'],
  // Runs in a browser and reads the REST API only.
  'web-dashboard': [],
  // Bundled into user jobs with @eddy/api, like a Flink connector jar in a job's fat jar.
  'connector-kafka': ['api'],
};

const NODE_MODULE = (names) => `(^|/)node_modules/(${names.join('|')})/`;

const rules = [
  ...Object.entries(MAY_IMPORT).map(([pkg, allowed]) => ({
    name: 'layer-direction',
    comment: `packages/${pkg}/src may import only ${allowed.length === 0 ? 'no other Eddy package' : allowed.map((p) => `@eddy/${p}`).join(', ')}`,
    severity: 'error',
    from: { path: `^packages/${pkg}/src/` },
    to: { path: '^packages/[^/]+/', pathNot: `^packages/(${[pkg, ...allowed].join('|')})/` },
  })),
  {
    name: 'api-imports-nothing-of-eddy',
    comment: '@eddy/api is bundled into every job and runs in task threads: it imports no other Eddy package',
    severity: 'error',
    from: { path: '^packages/api/' },
    to: { path: '^packages/[^/]+/', pathNot: '^packages/api/' },
  },
  {
    name: 'client-no-taskmanager-code',
    comment: 'the client must not pull in the TaskManager or the data plane; what it shares with the cluster lives in @eddy/cluster-common',
    severity: 'error',
    from: { path: '^packages/client/src/' },
    to: { path: '^packages/runtime/src/(taskexecutor|network)/', reachable: true },
  },
  {
    name: 'runtime-grpc-only-through-rpc',
    comment: 'the runtime uses gRPC only through @eddy/rpc (RpcService, stream services, GrpcStatus); only the transport benchmark in bench/ measures bare grpc-js',
    severity: 'error',
    from: { path: '^packages/runtime/(src|test)/' },
    to: { path: NODE_MODULE(['@grpc']) },
  },
  {
    name: 'runtime-kafka-enumerator-only',
    comment: "the runtime runs a KafkaSource's enumerator (@eddy/connector-kafka/enumerator) in the JobManager; the source, sink and job-side code of the connector stay in job bundles",
    severity: 'error',
    from: { path: '^packages/runtime/src/' },
    to: { path: '^packages/connector-kafka/src/(index|kafka-source|kafka-sink|kafka-fetch|kafka-transactions|serialization)\\.ts$', reachable: true },
  },
  {
    name: 'task-worker-loads-no-pino',
    comment: "a task's worker thread loads no pino or pino-pretty (import config from @eddy/common/config, not @eddy/common)",
    severity: 'error',
    from: { path: '^packages/runtime/src/taskexecutor/task-worker\\.ts$' },
    to: { path: NODE_MODULE(['pino', 'pino-pretty']), reachable: true },
  },
];

/** `@eddy/<pkg>` and its sub-paths, mapped to the TypeScript sources their exports compile from. */
function workspaceAliases() {
  const alias = {};
  const packagesDir = join(root, 'packages');
  for (const dir of readdirSync(packagesDir)) {
    const manifestPath = join(packagesDir, dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const file = typeof target === 'string' ? target : target.default;
      if (typeof file !== 'string') continue;
      const source = join(packagesDir, dir, file.replace(/^\.\/dist\//, './').replace(/\.js$/, '.ts'));
      alias[`${manifest.name}${subpath === '.' ? '' : subpath.slice(1)}$`] = source;
    }
  }
  return alias;
}

process.chdir(root);
const result = await cruise(
  ['packages'],
  {
    ruleSet: { forbidden: rules },
    validate: true,
    tsPreCompilationDeps: false,
    exclude: { path: '(^|/)dist/' },
    doNotFollow: { path: '(^|/)node_modules/' },
    moduleSystems: ['es6', 'cjs'],
  },
  { alias: workspaceAliases(), extensionAlias: { '.js': ['.ts', '.js'] }, conditionNames: ['import', 'node', 'default'] },
);
const { summary, modules } = result.output;
const violations = summary.violations.filter((violation) => violation.rule.severity === 'error');
if (violations.length > 0) {
  // A reachable rule reports every forbidden module each file reaches: one line per rule and file
  // is enough, with the shortest chain, to see where to cut.
  const chainOf = (violation) => [violation.from, ...(violation.via?.length > 0 ? violation.via.map((step) => (typeof step === 'string' ? step : step.name)) : [violation.to])];
  const shortest = new Map();
  for (const violation of violations) {
    const key = `${violation.rule.name} ${violation.from}`;
    const chain = chainOf(violation);
    const seen = shortest.get(key);
    if (seen === undefined) shortest.set(key, { rule: violation.rule.name, chain, more: 0 });
    else shortest.set(key, { rule: seen.rule, chain: chain.length < seen.chain.length ? chain : seen.chain, more: seen.more + 1 });
  }
  console.error(`check:layers: ${shortest.size} import(s) break Eddy's layers (docs/packages.md):`);
  for (const { rule, chain, more } of shortest.values()) {
    console.error(`  ${rule}: ${chain.join(' -> ')}${more > 0 ? ` (and ${more} more forbidden module(s) reached)` : ''}`);
    if (rule === 'layer-direction') console.error(`    (${rules.find((candidate) => candidate.name === rule && new RegExp(candidate.from.path).test(chain[0]))?.comment})`);
  }
  console.error('What each rule is for:');
  for (const name of new Set([...shortest.values()].map((entry) => entry.rule))) {
    if (name !== 'layer-direction') console.error(`  ${name}: ${rules.find((rule) => rule.name === name)?.comment}`);
  }
  process.exit(1);
}
console.log(`check:layers: ${modules.length} modules, no import across a layer (${new Set(rules.map((rule) => rule.name)).size} rules)`);
