export * from './config/config-option.js';
export * from './config/configuration.js';
export * from './logging/logger.js';
export * from './logging/file-logger.js';
export * from './logging/log-options.js';
export * from './logging/rotating-file.js';
