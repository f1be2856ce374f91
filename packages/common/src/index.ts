export * from './config/index.js';
export * from './logging/logger.js';
export * from './logging/file-logger.js';
export * from './retry/backoff.js';
export * from './logging/log-options.js';
export * from './logging/rotating-file.js';
export * from './logging/once-per-key.js';
