/**
 * Reads a topic as JSON (or text) with no restarts, so a bad input fails the job at once with the
 * source's error. Args: bootstrap topic [format: json|text] [skip-errors: true|false]
 */
import { RestartStrategies, WatermarkStrategy, type JobMain } from '@eddy/api';
import { JsonSchema, KafkaSource, SimpleStringSchema } from '@eddy/connector-kafka';

const main: JobMain = (env, args) => {
  const [bootstrap = '', topic = 'in', format = 'json', skip = 'false'] = args;
  env.setParallelism(1);
  env.setRestartStrategy(RestartStrategies.noRestart());
  const source = KafkaSource.builder<unknown>()
    .setBootstrapServers(bootstrap)
    .setTopics(topic)
    .setValueOnlyDeserializer(format === 'json' ? new JsonSchema<unknown>() : new SimpleStringSchema())
    .setProperty('deserialization.skip-errors', skip)
    .setProperty('request.timeout.ms', '3000')
    .setProperty('retries', '2')
    .build();
  env.fromSource(source, WatermarkStrategy.noWatermarks(), 'Kafka Source').addSink({ invoke: () => undefined });
};
export default main;
