/**
 * (De)serialization of Kafka records (Flink's DeserializationSchema, KafkaRecordDeserializationSchema,
 * SerializationSchema and KafkaRecordSerializationSchema). Strings and JSON are built in; a user's
 * own format is a plain function pair.
 */

/** A Kafka record as a source reads it. */
export interface KafkaConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch ms (the producer's CreateTime or the broker's LogAppendTime). */
  readonly timestamp: number;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: ReadonlyMap<string, Buffer | undefined>;
}

/** Turns a record value's bytes into a record of the stream (Flink's DeserializationSchema). */
export interface DeserializationSchema<T> {
  deserialize(bytes: Buffer | undefined): T;
}

/** Turns a whole Kafka record into a record of the stream (Flink's KafkaRecordDeserializationSchema). */
export interface KafkaRecordDeserializationSchema<T> {
  deserialize(record: KafkaConsumerRecord): T;
}

/** Turns a record of the stream into bytes (Flink's SerializationSchema). */
export interface SerializationSchema<T> {
  serialize(value: T): Buffer | undefined;
}

/** UTF-8 strings (Flink's SimpleStringSchema); an absent value is the empty string. */
export class SimpleStringSchema implements DeserializationSchema<string>, SerializationSchema<string> {
  deserialize(bytes: Buffer | undefined): string {
    return bytes === undefined ? '' : bytes.toString('utf8');
  }
  serialize(value: string): Buffer {
    return Buffer.from(String(value), 'utf8');
  }
}

/** JSON text in UTF-8 (Flink's JsonDeserializationSchema / JsonSerializationSchema). */
export class JsonSchema<T> implements DeserializationSchema<T>, SerializationSchema<T> {
  deserialize(bytes: Buffer | undefined): T {
    if (bytes === undefined) throw new Error('the record has no value, and JSON needs one');
    return JSON.parse(bytes.toString('utf8')) as T;
  }
  serialize(value: T): Buffer {
    return Buffer.from(JSON.stringify(value), 'utf8');
  }
}

/** A user's format as a function pair. */
export function deserializer<T>(deserialize: (bytes: Buffer | undefined) => T): DeserializationSchema<T> {
  if (typeof deserialize !== 'function') throw new TypeError('deserializer needs a function from bytes to a record');
  return { deserialize };
}

export function serializer<T>(serialize: (value: T) => Buffer | string | undefined): SerializationSchema<T> {
  if (typeof serialize !== 'function') throw new TypeError('serializer needs a function from a record to bytes');
  return { serialize: (value) => toBuffer(serialize(value)) };
}

function toBuffer(bytes: Buffer | string | undefined): Buffer | undefined {
  return typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
}

export const KafkaRecordDeserializationSchema = {
  /** Only the value, deserialized with `schema` (what setValueOnlyDeserializer sets). */
  valueOnly<T>(schema: DeserializationSchema<T>): KafkaRecordDeserializationSchema<T> {
    return { deserialize: (record) => schema.deserialize(record.value) };
  },
};

/** A record as a sink writes it. */
export interface KafkaProducerRecord {
  readonly topic: string;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly partition?: number;
  readonly headers?: ReadonlyMap<string, Buffer>;
}

/** Turns a record of the stream into a Kafka record (Flink's KafkaRecordSerializationSchema). */
export interface KafkaRecordSerializationSchema<T> {
  serialize(value: T): KafkaProducerRecord;
}

class KafkaRecordSerializationSchemaBuilder<T> {
  private topic: string | ((value: T) => string) | undefined;
  private valueSchema: SerializationSchema<T> | undefined;
  private keySchema: SerializationSchema<T> | undefined;

  /** The topic every record goes to, or a function choosing it per record. */
  setTopic(topic: string | ((value: T) => string)): this {
    if (!(typeof topic === 'function' || (typeof topic === 'string' && topic.length > 0))) throw new TypeError('setTopic needs a topic name');
    this.topic = topic;
    return this;
  }
  setTopicSelector(selector: (value: T) => string): this {
    return this.setTopic(selector);
  }
  setValueSerializationSchema(schema: SerializationSchema<T>): this {
    this.valueSchema = checkSerializer(schema, 'setValueSerializationSchema');
    return this;
  }
  /** The record key (Kafka partitions by it); without one records are spread over the partitions. */
  setKeySerializationSchema(schema: SerializationSchema<T>): this {
    this.keySchema = checkSerializer(schema, 'setKeySerializationSchema');
    return this;
  }
  build(): KafkaRecordSerializationSchema<T> {
    const topic = this.topic;
    const valueSchema = this.valueSchema;
    const keySchema = this.keySchema;
    if (topic === undefined) throw new Error('KafkaRecordSerializationSchema needs a topic: call setTopic(name)');
    if (valueSchema === undefined) throw new Error('KafkaRecordSerializationSchema needs a value serializer: call setValueSerializationSchema(new SimpleStringSchema()) or your own');
    return {
      serialize: (value) => ({
        topic: typeof topic === 'string' ? topic : topic(value),
        key: keySchema?.serialize(value),
        value: valueSchema.serialize(value),
      }),
    };
  }
}

export const KafkaRecordSerializationSchema = {
  builder<T>(): KafkaRecordSerializationSchemaBuilder<T> {
    return new KafkaRecordSerializationSchemaBuilder<T>();
  },
};

function checkSerializer<T>(schema: SerializationSchema<T>, method: string): SerializationSchema<T> {
  if (schema === null || typeof schema !== 'object' || typeof schema.serialize !== 'function') throw new TypeError(`${method} needs an object with serialize(value)`);
  return schema;
}
