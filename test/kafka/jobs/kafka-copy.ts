/**
 * Kafka -> Kafka, record for record: every record of the topics matching `pattern` (a regular
 * expression) is written to `output` unchanged, exactly once (a transaction per checkpoint), so a
 * test can compare the output with its input record by record. Args: bootstrap pattern output
 * checkpointDir prefix [parallelism] [intervalMs] [stopAt]; stopAt: empty (unbounded), 'latest', or
 * epoch milliseconds (setBounded(OffsetsInitializer.timestamp(ms))).
 */
import { WatermarkStrategy, type JobMain } from '@eddy/api';
import { KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer, SimpleStringSchema } from '@eddy/connector-kafka';

const main: JobMain = (env, args) => {
  const [bootstrap = '', pattern = 'in.*', output = 'out', checkpoints = '', prefix = 'eddy-copy', parallelism = '2', interval = '300', stopAt = ''] = args;
  env.setParallelism(Number(parallelism));
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const source = KafkaSource.builder<string>()
    .setBootstrapServers(bootstrap)
    .setTopicPattern(new RegExp(pattern))
    .setGroupId(`${prefix}-group`)
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('partition.discovery.interval.ms', '500');
  if (stopAt !== '') source.setBounded(stopAt === 'latest' ? OffsetsInitializer.latest() : OffsetsInitializer.timestamp(Number(stopAt)));
  const sink = KafkaSink.builder<string>()
    .setBootstrapServers(bootstrap)
    .setDeliveryGuarantee('EXACTLY_ONCE')
    .setTransactionalIdPrefix(prefix)
    .setProperty('transaction.timeout.ms', '60000')
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(output).setValueSerializationSchema(new SimpleStringSchema()).build())
    .build();
  env.fromSource(source.build(), WatermarkStrategy.noWatermarks(), 'Kafka Source').uid('kafka-source').sinkTo(sink).uid('kafka-sink');
};
export default main;
