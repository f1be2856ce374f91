/**
 * Kafka -> keyBy/count -> Kafka at parallelism 2: every record of `input` (a number as text) is
 * counted under the key `k<n % keys>`, and every running count goes to `output` as "key count"
 * (keyed by the key). Args: bootstrap input output keys guarantee bounded checkpointDir
 * [intervalMs] [prefix] [parallelism] [pattern] [isolation] [transactionTimeoutMs]. guarantee: NONE, AT_LEAST_ONCE or EXACTLY_ONCE; bounded: true or false;
 * isolation: the source's isolation.level (read_uncommitted by default); transactionTimeoutMs: the sink's transaction.timeout.ms (60000).
 */
import { WatermarkStrategy, type JobMain } from '@eddy/api';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer, serializer, SimpleStringSchema } from '@eddy/connector-kafka';

const main: JobMain = (env, args) => {
  const [bootstrap = '', input = 'in', output = 'out', keys = '10', guarantee = 'NONE', bounded = 'false', checkpoints = '', interval = '200', prefix = 'eddy-test', parallelism = '2', pattern = 'false', isolation = 'read_uncommitted', transactionTimeoutMs = '60000'] = args;
  const keyCount = Number(keys);
  env.setParallelism(Number(parallelism));
  if (checkpoints !== '') {
    env.enableCheckpointing(Number(interval));
    env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  }
  const builder = KafkaSource.builder<string>()
    .setBootstrapServers(bootstrap)
    .setGroupId(`${prefix}-group`)
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('partition.discovery.interval.ms', '500')
    .setProperty('isolation.level', isolation);
  // pattern=true: every topic whose name starts with `input` (topics found as they appear).
  if (pattern === 'true') builder.setTopicPattern(new RegExp(`${input}.*`));
  else builder.setTopics(input);
  if (bounded === 'true') builder.setBounded(OffsetsInitializer.latest());
  const sink = KafkaSink.builder<[string, number]>()
    .setBootstrapServers(bootstrap)
    .setDeliveryGuarantee(guarantee as 'NONE')
    .setTransactionalIdPrefix(prefix)
    .setProperty('transaction.timeout.ms', transactionTimeoutMs)
    .setRecordSerializer(
      KafkaRecordSerializationSchema.builder<[string, number]>()
        .setTopic(output)
        .setKeySerializationSchema(serializer(([key]) => key))
        .setValueSerializationSchema(serializer(([key, count]) => `${key} ${count}`))
        .build(),
    )
    .build();
  env
    .fromSource(builder.build(), WatermarkStrategy.noWatermarks(), 'Kafka Source')
    .uid('kafka-source')
    .map((text: string): [string, number] => [`k${Number(text) % keyCount}`, 1])
    .uid('to-pairs')
    .keyBy(([key]) => key)
    .sum(1)
    .uid('count')
    .sinkTo(sink)
    .uid('kafka-sink');
};
export default main;
