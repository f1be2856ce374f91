/**
 * Encodes and decodes gateway messages with the protobufjs schema generated from proto/.
 *
 * Decoding fills defaults and turns 64-bit integers into numbers and enums into their names, which
 * is what the generated TypeScript types promise. Local and remote calls both go through here, so a
 * callee sees the same values whether its caller is in its process or not.
 */
import protobuf from 'protobufjs';
import { protoSchema } from '@eddy/proto';

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

/** A message type's encoder and decoder. */
export interface MessageCodec {
  readonly typeName: string;
  /** Throws when the value does not fit the type. */
  encode(value: unknown): Buffer;
  /** Throws when the bytes are not a valid message of the type. */
  decode(bytes: Uint8Array): unknown;
}

class ProtobufCodec implements MessageCodec {
  constructor(private readonly type: protobuf.Type) {}

  get typeName(): string {
    return this.type.fullName.slice(1);
  }

  encode(value: unknown): Buffer {
    const writer = this.type.encode(value as protobuf.Message);
    return writer.finish() as Buffer;
  }

  decode(bytes: Uint8Array): unknown {
    return this.type.toObject(this.type.decode(bytes), TO_OBJECT);
  }
}

let schemaRoot: protobuf.Root | undefined;
const codecs = new Map<string, MessageCodec>();

/** The codec of a fully qualified message type, e.g. `eddy.testing.v1.CounterValue`. */
export function codecFor(typeName: string): MessageCodec {
  let codec = codecs.get(typeName);
  if (codec === undefined) {
    schemaRoot ??= protobuf.Root.fromJSON(protoSchema as protobuf.INamespace);
    codec = new ProtobufCodec(schemaRoot.lookupType(typeName));
    codecs.set(typeName, codec);
  }
  return codec;
}
