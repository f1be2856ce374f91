/**
 * Configuration alone, without logging: `@eddy/common/config`. For code that runs in task worker
 * threads, which must not load pino or pino-pretty (the layer check in npm test holds it to that).
 */
export * from './config-option.js';
export * from './configuration.js';
export * from './sensitive-keys.js';
