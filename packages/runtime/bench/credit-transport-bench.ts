/**
 * Why credits travel as messages on the data stream rather than as unary calls next to a server
 * stream: the cost of one credit each way, measured with bare grpc-js on loopback (client and
 * server in this process, so CPU time covers both sides).
 *
 *   node packages/runtime/dist/bench/credit-transport-bench.js
 *
 * Prints one JSON line per mode and round: credits per second and CPU microseconds per credit.
 * A consumer returns one credit per buffer of ~1,500 small records, so 3 M records/s means ~2,000
 * credits/s per channel.
 */
import * as grpc from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;
const CREDITS = 20_000;
const CREDIT_MESSAGE = Buffer.from([0x08, 0x01, 0x18, 0x01]); // { channel: 1, credit: 1 }

const method = (path: string, stream: boolean): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: stream,
  responseStream: stream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

let received = 0;
const server = new grpc.Server();
server.addService(
  { credit: method('/bench.Credits/Credit', false), open: method('/bench.Credits/Open', true) },
  {
    credit: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      received++;
      callback(null, Buffer.alloc(0));
    },
    open: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', () => received++);
      call.on('error', () => undefined);
    },
  },
);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
);
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function result(mode: string, started: number, cpu: NodeJS.CpuUsage): object {
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { mode, creditsPerSecond: Math.round((CREDITS / elapsedMs) * 1000), cpuMicrosPerCredit: Number(((used.user + used.system) / CREDITS).toFixed(1)) };
}

async function onStream(): Promise<object> {
  received = 0;
  const call = client.makeBidiStreamRequest<Buffer, Buffer>('/bench.Credits/Open', identity, identity, new grpc.Metadata(), {});
  call.on('data', () => undefined);
  call.on('error', () => undefined);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < CREDITS; i++) {
    call.write(CREDIT_MESSAGE);
    if (i % 100 === 0) await turn();
  }
  while (received < CREDITS) await turn();
  const measured = result('message on a bidirectional stream', started, cpu);
  call.cancel();
  return measured;
}

async function asUnaryCalls(inFlight: number): Promise<object> {
  received = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  let answered = 0;
  await new Promise<void>((resolve) => {
    const next = (): void => {
      if (sent === CREDITS) return;
      sent++;
      client.makeUnaryRequest<Buffer, Buffer>('/bench.Credits/Credit', identity, identity, CREDIT_MESSAGE, new grpc.Metadata(), {}, () => {
        if (++answered === CREDITS) resolve();
        else next();
      });
    };
    for (let i = 0; i < inFlight; i++) next();
  });
  return result(`unary call, ${inFlight} in flight`, started, cpu);
}

for (let round = 0; round < 2; round++) {
  for (const measured of [await onStream(), await asUnaryCalls(1), await asUnaryCalls(16)]) process.stdout.write(`${JSON.stringify(measured)}\n`);
}
client.close();
server.forceShutdown();
