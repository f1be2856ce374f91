export * from './heartbeat/heartbeat-options.js';
export * from './heartbeat/heartbeat-manager.js';
export * from './heartbeat/event-loop-lag.js';
export * from './jobmaster/failover/restart-strategy-options.js';
export * from './jobmaster/failover/restart-backoff-time-strategy.js';
