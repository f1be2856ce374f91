/**
 * WordCount from Kafka to Kafka, exactly once: reads lines from a topic, counts the words, and
 * writes every updated count ("word count", keyed by the word) to another topic in Kafka
 * transactions committed with each checkpoint (Flink's KafkaSource and KafkaSink).
 *
 * Shows: KafkaSource with its builder (earliest offsets, a value-only string deserializer, record
 * timestamps as event time), KafkaSink with DeliveryGuarantee.EXACTLY_ONCE, and checkpointing,
 * which exactly-once output needs: a transaction per checkpoint, so the counts appear once a
 * second, and only to consumers that read with isolation.level=read_committed.
 *
 * Arguments: [bootstrap] [input] [output] [bounded]
 *   bootstrap   the Kafka brokers; default localhost:9092
 *   input       the topic of lines; default 'lines'
 *   output      the topic of counts; default 'word-counts'
 *   bounded     'true': read the input to its end at the start and finish; default 'false'
 *
 * Run, with a broker at localhost:9092 (`docker compose --profile kafka up`, see docs/kafka.md):
 *   npx eddy run --local examples/kafka-word-count.ts
 *   npx eddy run -m localhost:6123 examples/kafka-word-count.ts kafka:9092    (in the compose cluster)
 */
import { WatermarkStrategy, type Collector, type JobMain } from '@eddy/api';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, KafkaSource, OffsetsInitializer, serializer, SimpleStringSchema } from '@eddy/connector-kafka';

const kafkaWordCount: JobMain = (env, args) => {
  const [bootstrap = 'localhost:9092', input = 'lines', output = 'word-counts', bounded = 'false'] = args;
  env.setJobName(`Kafka WordCount (${input} -> ${output})`).setParallelism(2);
  env.enableCheckpointing(1000);

  const source = KafkaSource.builder<string>()
    .setBootstrapServers(bootstrap)
    .setTopics(input)
    .setGroupId('kafka-word-count')
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueOnlyDeserializer(new SimpleStringSchema());
  if (bounded === 'true') source.setBounded(OffsetsInitializer.latest());

  const sink = KafkaSink.builder<[string, number]>()
    .setBootstrapServers(bootstrap)
    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
    .setTransactionalIdPrefix('kafka-word-count')
    .setRecordSerializer(
      KafkaRecordSerializationSchema.builder<[string, number]>()
        .setTopic(output)
        .setKeySerializationSchema(serializer(([word]) => word))
        .setValueSerializationSchema(serializer(([word, count]) => `${word} ${count}`))
        .build(),
    )
    .build();

  env
    .fromSource(source.build(), WatermarkStrategy.noWatermarks(), 'Kafka Source')
    .uid('lines')
    .flatMap((line: string, out: Collector<[string, number]>) => {
      for (const word of line.toLowerCase().split(/\W+/)) if (word !== '') out.collect([word, 1]);
    })
    .name('Tokenizer')
    .uid('tokenizer')
    .keyBy(([word]) => word)
    .sum(1)
    .name('Counter')
    .uid('counter')
    .sinkTo(sink)
    .uid('word-counts');
};
export default kafkaWordCount;
