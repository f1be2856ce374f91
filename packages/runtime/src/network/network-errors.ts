/**
 * Errors of the data plane. Loaded by task worker threads too: imports nothing.
 */

/** Base of every data-plane error. */
export class NetworkError extends Error {
  override readonly name: string = 'NetworkError';
}

/**
 * A consumer asked for a partition that its TaskManager does not have: it was released (its
 * producer ended or was canceled), or no producer registered it within the request timeout.
 */
export class PartitionNotFoundError extends NetworkError {
  override readonly name = 'PartitionNotFoundError';
  constructor(
    readonly partitionId: string,
    readonly subpartition: number,
    readonly producerAddress: string,
    readonly reason: 'released' | 'timeout' | 'no such subpartition' | 'already consumed',
    /** Why, in words: the message without its ids. */
    readonly detail: string,
  ) {
    super(`Partition ${partitionId} (subpartition ${subpartition}) not found at TaskManager ${producerAddress}: ${detail}`);
  }
}

/**
 * The other side of a channel went away before END_OF_PARTITION: the consumer or producer task
 * ended or failed, or the connection between their TaskManagers was lost.
 */
export class ChannelClosedError extends NetworkError {
  override readonly name = 'ChannelClosedError';
  constructor(
    /** The side that noticed: the producer's subpartition or the consumer's input channel. */
    readonly side: 'subpartition' | 'input channel',
    readonly index: number,
  ) {
    super(
      side === 'subpartition'
        ? `The consumer of subpartition ${index} went away before the partition ended`
        : `Input channel ${index} was closed before its END_OF_PARTITION: the producer or the connection to it failed`,
    );
  }
}

/** The connection to another TaskManager failed; every channel on it fails with this error. */
export class ConnectionLostError extends NetworkError {
  override readonly name = 'ConnectionLostError';
  constructor(
    readonly remoteAddress: string,
    readonly partitionId: string,
    readonly subpartition: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Lost the connection to TaskManager ${remoteAddress} while consuming partition ${partitionId} (subpartition ${subpartition}): ${detail}`, options);
  }
}

/** A buffer that could not be read: a wrong kind byte, or a payload its serializer refused. */
export class CorruptBufferError extends NetworkError {
  override readonly name = 'CorruptBufferError';
  constructor(
    readonly channel: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Input channel ${channel} received a buffer it cannot read: ${detail}`, options);
  }
}

/** A failure the producer's TaskManager reported for a channel, rebuilt from its name and message. */
export class RemoteChannelError extends NetworkError {
  override readonly name = 'RemoteChannelError';
  constructor(
    readonly remoteName: string,
    message: string,
  ) {
    super(message);
  }
}
