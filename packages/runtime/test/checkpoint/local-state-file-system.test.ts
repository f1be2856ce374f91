import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkpointDirectoryOf } from '../../src/checkpoint/checkpointing-options.js';
import { LocalStateFileSystem } from '../../src/checkpoint/filesystem/local-state-file-system.js';
import { parseS3Path } from '../../src/checkpoint/filesystem/s3-state-file-system.js';
import { nameOf, parentOf, StateFileNotFoundError, statePath } from '../../src/checkpoint/filesystem/state-file-system.js';

const scratch = mkdtempSync(join(tmpdir(), 'eddy-local-fs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('LocalStateFileSystem', () => {
  const fs = new LocalStateFileSystem();

  it('writes a state file in chunks into a directory it creates, and reads it back whole', async () => {
    const path = join(scratch, 'a', 'b', 'state');
    const out = await fs.createOutput(path);
    await out.write(new Uint8Array([1, 2, 3]));
    await out.write(new Uint8Array([4, 5]));
    await out.close();
    assert.deepEqual([...(await fs.readFile(path))], [1, 2, 3, 4, 5]);
    assert.equal(await fs.isDirectory(join(scratch, 'a', 'b')), true);
    assert.equal(await fs.isDirectory(path), false);
    assert.equal(await fs.isDirectory(join(scratch, 'missing')), false);
  });

  it('removes what an abandoned state file wrote', async () => {
    const path = join(scratch, 'abandoned');
    const out = await fs.createOutput(path);
    await out.write(new Uint8Array(100));
    await out.abandon();
    assert.equal(existsSync(path), false);
  });

  it('says which file could not be created', async () => {
    writeFileSync(join(scratch, 'a-file'), 'x');
    await assert.rejects(fs.createOutput(join(scratch, 'a-file', 'state')), new RegExp(`could not create the state file ${scratch}/a-file/state: (ENOTDIR|EEXIST)`));
  });

  it('rejects a missing file with StateFileNotFoundError naming it', async () => {
    const path = join(scratch, 'nothing-here');
    await assert.rejects(fs.readFile(path), (error: unknown) => error instanceof StateFileNotFoundError && error.path === path);
  });

  it('writes a file atomically, leaving no temporary file, and replaces an older one whole', async () => {
    const directory = join(scratch, 'chk-1');
    const path = join(directory, '_metadata');
    await fs.writeAtomically(path, new Uint8Array([1]));
    await fs.writeAtomically(path, new Uint8Array([2, 2]));
    assert.deepEqual([...(await fs.readFile(path))], [2, 2]);
    assert.deepEqual(readdirSync(directory), ['_metadata']);
  });

  it('deletes files (a missing one is no error), empty directories only when asked so, and whole directories', async () => {
    const directory = join(scratch, 'chk-2');
    await fs.writeAtomically(join(directory, 'one'), new Uint8Array([1]));
    await fs.writeAtomically(join(directory, 'two'), new Uint8Array([2]));
    await fs.delete(join(directory, 'one'));
    await fs.delete(join(directory, 'one'));
    await fs.deleteDirectoryIfEmpty(directory);
    assert.deepEqual(readdirSync(directory), ['two']);
    await fs.deleteDirectory(directory);
    assert.equal(existsSync(directory), false);
    await fs.deleteDirectory(directory);
  });

  it('creates a checkpoint directory on prepareDirectory and says why it cannot', async () => {
    await fs.prepareDirectory(join(scratch, 'job', 'chk-3'));
    assert.equal(await fs.isDirectory(join(scratch, 'job', 'chk-3')), true);
    await assert.rejects(fs.prepareDirectory(join(scratch, 'a-file', 'chk-1')), /Could not create the checkpoint directory .*a-file\/chk-1: (ENOTDIR|EEXIST)/);
  });
});

describe('state paths', () => {
  it('joins and splits local and S3 paths the same way', () => {
    assert.equal(statePath('s3://bucket/base/', 'job', 'chk-1'), 's3://bucket/base/job/chk-1');
    assert.equal(statePath('/data/chk', 'job'), '/data/chk/job');
    assert.equal(parentOf('s3://bucket/base/job/chk-1/_metadata'), 's3://bucket/base/job/chk-1');
    assert.equal(nameOf('s3://bucket/base/job/chk-1/_metadata'), '_metadata');
    assert.equal(parentOf('/data/x'), '/data');
    assert.deepEqual(parseS3Path('s3://bucket/a/b/'), { bucket: 'bucket', key: 'a/b' });
    assert.deepEqual(parseS3Path('s3a://bucket'), { bucket: 'bucket', key: '' });
    assert.throws(() => parseS3Path('s3:///key'), /'s3:\/\/\/key' names no bucket; an S3 location looks like s3:\/\/bucket\/path/);
  });

  it('takes s3://, s3a:// and s3n:// checkpoint directories and refuses other schemes, naming the ones it takes', () => {
    assert.equal(checkpointDirectoryOf('s3://bucket/checkpoints/'), 's3://bucket/checkpoints');
    assert.equal(checkpointDirectoryOf('s3a://bucket/checkpoints'), 's3://bucket/checkpoints');
    assert.equal(checkpointDirectoryOf('file:///data/chk'), '/data/chk');
    assert.throws(() => checkpointDirectoryOf('hdfs://nn/chk'), /uses the scheme hdfs:\/\/, which Eddy cannot write to; use s3:\/\/bucket\/path, a local path or a file:\/\/ URI/);
    assert.throws(() => checkpointDirectoryOf('s3://'), /names no bucket/);
  });
});
