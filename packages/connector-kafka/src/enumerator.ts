/**
 * @eddy/connector-kafka/enumerator: what the runtime imports to run a KafkaSource's enumerator in
 * the JobManager (the source's settings come from the job's plan; no job code runs there).
 */
export { DEFAULT_DISCOVERY_INTERVAL_MS, DISCOVERY_ATTEMPTS, KAFKA_ENUMERATOR_KIND, KafkaSourceEnumerator, type KafkaEnumeratorContext, type KafkaEnumeratorSettings } from './kafka-source-enumerator.js';
export { KafkaSplitAssignment, ownerOf, splitId, type KafkaPartitionSplit, type KafkaSourceEnumState } from './kafka-split-assignment.js';
