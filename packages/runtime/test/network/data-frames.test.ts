import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import {
  DataProtocolError,
  decodeError,
  decodeOpen,
  decodeUint32,
  encodeError,
  encodeOpen,
  encodeUint32,
  FrameDecoder,
  FrameType,
  FrameWriter,
} from '../../src/network/data-frames.js';

interface Frame {
  readonly type: number;
  readonly channel: number;
  readonly body: Buffer;
  readonly owned: boolean;
}

/** Frames as FrameWriter puts them on a socket: a Writable standing in for it, collecting the bytes. */
async function written(frames: Array<[FrameType, number, Uint8Array | undefined]>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    writev(pieces, callback) {
      for (const { chunk } of pieces) chunks.push(Buffer.from(chunk as Buffer));
      callback();
    },
  });
  const writer = new FrameWriter(sink as unknown as Socket);
  for (const [type, channel, body] of frames) writer.write(type, channel, body);
  await new Promise((resolve) => setImmediate(resolve)); // the writer uncorks on the next tick
  return Buffer.concat(chunks);
}

function decodeAll(bytes: Buffer, cut: (length: number) => number[]): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder((type, channel, body, owned) => {
    if (owned !== undefined) assert.equal(body.buffer, owned, 'a BUFFER body is the owned ArrayBuffer itself');
    frames.push({ type, channel, body: Buffer.from(body), owned: owned !== undefined });
  });
  let offset = 0;
  for (const size of cut(bytes.byteLength)) {
    decoder.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  if (offset < bytes.byteLength) decoder.push(bytes.subarray(offset));
  return frames;
}

const payload = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));

describe('data connection frames', () => {
  const frames: Array<[FrameType, number, Uint8Array | undefined]> = [
    [FrameType.OPEN, 1, encodeOpen('result-1@attempt-2', 3)],
    [FrameType.CREDIT, 1, encodeUint32(4)],
    [FrameType.BUFFER, 1, payload],
    [FrameType.CANCEL, 7, undefined],
    [FrameType.ERROR, 9, encodeError({ name: 'PartitionNotFoundError', message: 'gone', reason: 'released' })],
    [FrameType.BUFFER, 2, Buffer.from([1])],
  ];

  for (const [name, cut] of [
    ['in one piece', (n: number) => [n]],
    ['one byte at a time', (n: number) => Array.from({ length: n }, () => 1)],
    ['in chunks of 7 bytes', (n: number) => Array.from({ length: Math.ceil(n / 7) }, () => 7)],
    ['in chunks of 16 KiB', (n: number) => Array.from({ length: Math.ceil(n / 16384) }, () => 16384)],
  ] as const) {
    it(`reads back what was written, ${name}`, async () => {
      const decoded = decodeAll(await written(frames), cut);
      assert.deepEqual(
        decoded.map((f) => [f.type, f.channel, f.owned]),
        frames.map(([type, channel]) => [type, channel, type === FrameType.BUFFER]),
      );
      assert.deepEqual(decodeOpen(decoded[0]!.body), { partitionId: 'result-1@attempt-2', subpartition: 3 });
      assert.equal(decodeUint32(decoded[1]!.body), 4);
      assert.ok(decoded[2]!.body.equals(payload), 'the 40,000-byte buffer arrives intact');
      assert.equal(decoded[3]!.body.byteLength, 0);
      assert.deepEqual(decodeError(decoded[4]!.body), { name: 'PartitionNotFoundError', message: 'gone', reason: 'released' });
      assert.deepEqual([...decoded[5]!.body], [1]);
    });
  }

  it('refuses a length no frame has, and one above the limit, naming what it got', () => {
    const decoder = new FrameDecoder(() => assert.fail('no frame expected'));
    assert.throws(() => decoder.push(Buffer.from([2, 0, 0, 0, 0, 0])), (error: unknown) => error instanceof DataProtocolError && /a frame of 2 bytes/.test(error.message));
    const strict = new FrameDecoder(() => assert.fail('no frame expected'));
    strict.maxFrameBytes = 64;
    // 'GET ' read as a little-endian length: an HTTP client knocking on the data port.
    assert.throws(() => strict.push(Buffer.from('GET / HTTP/1.1\r\n')), /a frame of 542393671 bytes is not one this protocol sends/);
  });

  it('refuses a CREDIT body that is not four bytes', () => {
    assert.throws(() => decodeUint32(Buffer.from([1, 2])), /2 bytes is not a 32-bit number/);
  });
});
