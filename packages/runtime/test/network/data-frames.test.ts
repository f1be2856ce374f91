import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { barrierBuffer, BufferKind, readBarrier } from '../../src/network/network-buffer.js';
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

  it('assembles a 1 MiB frame pushed one byte at a time with each byte copied once', async () => {
    const body = Buffer.alloc(1 << 20, 7);
    body[0] = BufferKind.DATA;
    const bytes = await written([[FrameType.BUFFER, 3, body]]);
    const received: { channel: number; body: Uint8Array; owned: ArrayBuffer | undefined }[] = [];
    const decoder = new FrameDecoder((_type, channel, frameBody, owned) => received.push({ channel, body: frameBody, owned }));
    for (let i = 0; i < bytes.byteLength; i++) decoder.push(bytes.subarray(i, i + 1));
    assert.equal(received.length, 1);
    assert.equal(received[0]!.channel, 3);
    assert.equal(received[0]!.owned?.byteLength, body.byteLength, 'the body is an ArrayBuffer of its own, exactly its size');
    assert.ok(Buffer.from(received[0]!.body).equals(body));
    // Quadratic reassembly copies (or walks) the buffered bytes again on every push: ~5 * 10^11 here.
    assert.equal(decoder.copiedBytes, bytes.byteLength, 'header and body bytes copied once each');
  });

  it('grows the body of a frame above 4 MiB as it arrives, with copies linear in its size (at most three times its bytes)', async () => {
    const body = Buffer.alloc(9 << 20, 3);
    const bytes = await written([[FrameType.BUFFER, 1, body], [FrameType.CREDIT, 1, encodeUint32(2)]]);
    const decoded: Frame[] = [];
    const decoder = new FrameDecoder((type, channel, frameBody, owned) => decoded.push({ type, channel, body: Buffer.from(frameBody), owned: owned !== undefined }));
    for (let offset = 0; offset < bytes.byteLength; offset += 1000) decoder.push(bytes.subarray(offset, offset + 1000));
    assert.deepEqual(decoded.map((f) => [f.type, f.body.byteLength]), [[FrameType.BUFFER, body.byteLength], [FrameType.CREDIT, 4]]);
    assert.ok(decoded[0]!.body.equals(body));
    assert.ok(decoder.copiedBytes <= 3 * bytes.byteLength, `copied ${decoder.copiedBytes} bytes for ${bytes.byteLength}`);
  });

  it('copies nothing but BUFFER bodies when chunks hold whole frames', async () => {
    const bytes = await written(frames);
    const decoder = new FrameDecoder(() => undefined);
    decoder.push(bytes);
    assert.equal(decoder.copiedBytes, payload.byteLength + 1, 'the two BUFFER bodies, once');
  });

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

describe('checkpoint barrier events', () => {
  it('carry the checkpoint, its timestamp, the alignment mode and whether it is a savepoint', () => {
    for (const exactlyOnce of [true, false]) {
      for (const savepoint of [true, false]) {
        const barrier = { checkpointId: 42, timestamp: 1_700_000_000_123, exactlyOnce, savepoint };
        assert.deepEqual(readBarrier(barrierBuffer(barrier)), barrier);
      }
    }
    assert.equal(readBarrier(barrierBuffer({ checkpointId: 1, timestamp: 2, exactlyOnce: true })).savepoint, false, 'a checkpoint unless it says otherwise');
  });
});
