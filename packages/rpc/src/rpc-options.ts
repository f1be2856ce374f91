/** Configuration options of the RPC layer, read by RpcService. */
import { durationOption, memorySizeOption } from '@eddy/common';

export const RpcOptions = {
  askTimeout: durationOption({
    key: 'rpc.ask-timeout',
    defaultMs: 10_000,
    minMs: 1,
    description:
      'Deadline of an RPC that waits for an answer (an ask), unless the call passes its own. A call that misses it fails with RpcTimeoutError.',
  }),
  maxMessageSize: memorySizeOption({
    key: 'rpc.max-message-size',
    defaultBytes: 10 * 1024 * 1024,
    minBytes: 1024,
    description:
      'Largest request or response an RPC may carry; checked by the sender. Large payloads such as job code go through the blob store instead.',
  }),
} as const;
