/**
 * Event time from Kafka: the records' Kafka timestamps are their event time, watermarks are
 * generated per partition (WatermarkStrategy.forMonotonousTimestamps on the source) and a partition
 * without new records for `idleMs` stops holding them back (withIdleness). Counts the records of
 * each 1 s tumbling event-time window and writes "<window start>:<count>" to `output`.
 * Args: bootstrap input output checkpointDir [idleMs]
 */
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer, SimpleStringSchema } from '@eddy/connector-kafka';
import { ProcessWindowFunction, TumblingEventTimeWindows, WatermarkStrategy, type Collector, type JobMain, type ProcessWindowContext, type TimeWindow } from '@eddy/api';

/** "<window start>:<records in it>". */
class CountPerWindow extends ProcessWindowFunction<string, string, string, TimeWindow> {
  process(_key: string, context: ProcessWindowContext<TimeWindow>, records: Iterable<string>, out: Collector<string>): void {
    let count = 0;
    for (const _record of records) count++;
    out.collect(`${context.window().start}:${count}`);
  }
}

const main: JobMain = (env, args) => {
  const [bootstrap = '', input = 'in', output = 'out', checkpoints = '', idleMs = '500'] = args;
  env.setParallelism(1);
  env.enableCheckpointing(300);
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  const source = KafkaSource.builder<string>()
    .setBootstrapServers(bootstrap)
    .setTopics(input)
    .setGroupId('event-time-test')
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .build();
  const sink = KafkaSink.builder<string>()
    .setBootstrapServers(bootstrap)
    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(output).setValueSerializationSchema(new SimpleStringSchema()).build())
    .build();
  env
    .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<string>().withIdleness(Number(idleMs)), 'Kafka Source')
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(1000))
    .process(new CountPerWindow())
    .sinkTo(sink);
};
export default main;
