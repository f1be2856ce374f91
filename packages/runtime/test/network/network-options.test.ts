import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Configuration } from '@eddy/common';
import { NetworkOptions, resolveNetworkTaskSettings, type NetworkTaskSettings } from '../../src/network/network-options.js';

/** Each per-task option with the setting it feeds, a TaskManager value and a job value (and what they read as). */
const cases: [key: string, setting: keyof NetworkTaskSettings, taskManager: [string, number], job: [string, number]][] = [
  [NetworkOptions.segmentSize.key, 'bufferSizeBytes', ['64 kb', 65_536], ['8 kb', 8_192]],
  [NetworkOptions.bufferTimeout.key, 'bufferTimeoutMs', ['2 s', 2_000], ['5 ms', 5]],
  [NetworkOptions.buffersPerChannel.key, 'initialCredit', ['16', 16], ['2', 2]],
  [NetworkOptions.maxQueuedBuffersPerChannel.key, 'maxQueuedBuffersPerChannel', ['32', 32], ['3', 3]],
];

const defaults = resolveNetworkTaskSettings(Configuration.empty(), {});

describe('the network settings of a task', () => {
  for (const [key, setting, [tmText, tmValue], [jobText, jobValue]] of cases) {
    it(`takes ${key} from the TaskManager when the job sets none, and from the job when both do`, () => {
      const taskManager = Configuration.fromRecord({ [key]: tmText }, 'command line');
      assert.deepEqual(resolveNetworkTaskSettings(taskManager, { 'unrelated.key': 'x' }), { ...defaults, [setting]: tmValue }, 'the TaskManager setting applies');
      assert.deepEqual(resolveNetworkTaskSettings(taskManager, { [key]: jobText }), { ...defaults, [setting]: jobValue }, "the job's setting wins");
      assert.deepEqual(resolveNetworkTaskSettings(Configuration.empty(), { [key]: jobText }), { ...defaults, [setting]: jobValue });
      assert.notEqual(defaults[setting], tmValue, 'the TaskManager value differs from the default');
    });
  }

  it("names the key, the value and the job's configuration when a job's value does not parse", () => {
    assert.throws(
      () => resolveNetworkTaskSettings(Configuration.empty(), { [NetworkOptions.buffersPerChannel.key]: 'many' }),
      /Invalid value 'many' for taskmanager\.network\.memory\.buffers-per-channel \(from job configuration\)/,
    );
  });
});
