/** The eddy command's errors that need no cluster: an unreachable JobManager, bad flags, help. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusedPort } from '../cluster/cluster-harness.js';
import { runEddy } from './eddy-cli.js';

describe('eddy errors and help', () => {
  it('names the address tried, the cause and how to start a JobManager when none answers, with no stack', async () => {
    const address = `127.0.0.1:${await refusedPort()}`;
    for (const args of [['list'], ['status', '0123456789abcdef0123456789abcdef'], ['cancel', '0123456789abcdef0123456789abcdef'], ['taskmanagers', '--json']]) {
      const result = await runEddy([...args, '-m', address]);
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
      assert.equal(result.stderr, `eddy: Could not reach a JobManager at ${address}: connection refused (connect ECONNREFUSED ${address}); start one with \`eddy jobmanager\`, or pass the address of a running one\n`);
    }
  });

  it('prints the stack of an error with --verbose', async () => {
    const result = await runEddy(['list', '-m', `127.0.0.1:${await refusedPort()}`, '--verbose']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^eddy: JobManagerUnreachableError: Could not reach a JobManager at .*\n\s+at /);
  });

  it('finds the JobManager through -D jobmanager.rpc.port as the daemons do', async () => {
    const port = await refusedPort();
    const result = await runEddy(['list', '-D', `jobmanager.rpc.port=${port}`]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^eddy: Could not reach a JobManager at localhost:${port}: `));
  });

  it('reports an unknown flag, a missing argument or an unknown command in one line and where the usage is', async () => {
    const unknownFlag = await runEddy(['list', '--bogus']);
    assert.equal(unknownFlag.code, 1);
    assert.equal(unknownFlag.stderr, "error: unknown option '--bogus'\n(`eddy list --help` shows the usage)\n");
    const missing = await runEddy(['status']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "error: missing required argument 'job-id'\n(`eddy status --help` shows the usage)\n");
    const unknownCommand = await runEddy(['lsit']);
    assert.equal(unknownCommand.code, 1);
    assert.match(unknownCommand.stderr, /^error: unknown command 'lsit'\n\(Did you mean list\?\)\n/);
    const badAddress = await runEddy(['list', '-m', 'nohostport']);
    assert.equal(badAddress.code, 1);
    assert.equal(badAddress.stderr, "eddy: -m/--jobmanager 'nohostport' is not host:port (for example localhost:6123)\n");
    const badTimeout = await runEddy(['cancel', '0123456789abcdef0123456789abcdef', '--timeout', 'soon']);
    assert.equal(badTimeout.code, 1);
    assert.match(badTimeout.stderr, /^error: option '--timeout <duration>' argument 'soon' is invalid\. Invalid duration 'soon'/);
  });

  it('lists every command in eddy --help and each command its flags in eddy <command> --help', async () => {
    const help = await runEddy(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['jobmanager', 'taskmanager', 'list', 'status', 'cancel', 'info', 'taskmanagers']) assert.match(help.stdout, new RegExp(`\\n  ${command} `));
    for (const [command, flags] of [
      ['list', ['--all', '--json', '-m, --jobmanager']],
      ['status', ['<job-id>', '--json', '--verbose']],
      ['cancel', ['<job-id>', '--timeout']],
      ['info', ['<job-file>', '[job-args...]', '-p, --parallelism', '-D, --define', '--json']],
      ['taskmanagers', ['--json', '-m, --jobmanager']],
      ['jobmanager', ['--pretty', '--no-pretty']],
    ] as const) {
      const result = await runEddy([command, '--help']);
      assert.equal(result.code, 0, command);
      for (const flag of flags) assert.ok(result.stdout.includes(flag), `eddy ${command} --help shows ${flag}:\n${result.stdout}`);
    }
  });
});
