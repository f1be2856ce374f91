export type { CallOptions, GatewayDescriptor, MethodDescriptor } from './gateway-descriptor.js';
export * from './generated/index.js';
