/**
 * Options of a job's pipeline that its tasks read (Flink's PipelineOptions). The stream task
 * resolves them from the job's configuration when it starts and hands the chain the checked value.
 */
import { durationOption } from '@eddy/common/config';

export const PipelineOptions = {
  autoWatermarkInterval: durationOption({
    // The same key and default as @eddy/api's AUTO_WATERMARK_INTERVAL_KEY, which the chain reads.
    key: 'pipeline.auto-watermark-interval',
    defaultMs: 200,
    minMs: 0,
    description:
      "How often the watermark generators of a job's sources and assignTimestampsAndWatermarks operators emit (WatermarkGenerator.onPeriodicEmit), " +
      'on a timer of the task\'s thread. 0 disables periodic emission (only watermarks a generator emits from onEvent go out).',
  }),
} as const;

/** The job's periodic watermark interval, checked (a bad value fails the task naming the key). */
export function autoWatermarkIntervalMs(jobConfiguration: Readonly<Record<string, string>>): number {
  const option = PipelineOptions.autoWatermarkInterval;
  const raw = jobConfiguration[option.key];
  return raw === undefined ? option.defaultValue : option.parse(raw, "the job's configuration");
}
