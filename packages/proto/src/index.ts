export type { CallOptions, GatewayDescriptor, MethodDescriptor, StreamMethodDescriptor, StreamServiceDescriptor } from './gateway-descriptor.js';
export * from './generated/index.js';
