/**
 * The benchmark's baseline: eddy.testing.v1.CounterGateway loaded the way a plain grpc-js program
 * loads a service (proto-loader + loadPackageDefinition), with no Eddy code in the path.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_DIR = fileURLToPath(new URL('../../../../proto/', import.meta.url));

interface TestingPackage {
  eddy: { testing: { v1: { CounterGateway: grpc.ServiceClientConstructor } } };
}

/** The generated client constructor; its `.service` is the server-side definition. */
export function loadBareCounterGateway(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync('eddy/testing/v1/testing.proto', {
    includeDirs: [PROTO_DIR],
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as TestingPackage;
  return loaded.eddy.testing.v1.CounterGateway;
}
