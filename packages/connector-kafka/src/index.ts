/**
 * @eddy/connector-kafka: Kafka source and sink for Eddy jobs (Flink's flink-connector-kafka).
 * Imported by job code and bundled with it (like a connector jar in a Flink job's fat jar).
 */
export { KafkaSource, KafkaSourceBuilder } from './kafka-source.js';
export { KafkaSplitAssignment, ownerOf, splitId, type KafkaPartitionSplit, type KafkaSourceEnumState } from './kafka-split-assignment.js';
export { AbortedTransactions, fetchRaw, type FetchRequest, type FetchResponse } from './kafka-fetch.js';
export { KafkaSink, KafkaSinkBuilder, DeliveryGuarantee } from './kafka-sink.js';
export { OffsetsInitializer, type OffsetResetStrategy } from './offsets-initializer.js';
export {
  deserializer,
  JsonSchema,
  KafkaRecordDeserializationSchema,
  KafkaRecordSerializationSchema,
  serializer,
  SimpleStringSchema,
  type DeserializationSchema,
  type KafkaConsumerRecord,
  type KafkaProducerRecord,
  type SerializationSchema,
} from './serialization.js';
