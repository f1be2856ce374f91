/**
 * Writes the messages of one gRPC stream one after another, each once the transport took the one
 * before. The bridges never wait for a write (they run on port and stream events), and a stream
 * writer that is handed message after message while its transport is full would park one pair of
 * 'drain' listeners per message. How much waits here is bounded by credit: buffers only go out
 * against it, and credits and channel commands are a few bytes each.
 */
export class StreamWriteQueue<T> {
  readonly #backlog: T[] = [];
  #writing = false;

  constructor(private readonly write: (message: T) => Promise<void>) {}

  /** Queues a message; it goes out after every message pushed before it. */
  push(message: T): void {
    this.#backlog.push(message);
    if (!this.#writing) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      for (let next = this.#backlog.shift(); next !== undefined; next = this.#backlog.shift()) await this.write(next);
    } catch {
      // A message that does not encode is a bug of ours; the stream's own failure shows in its reader.
      this.#backlog.length = 0;
    } finally {
      this.#writing = false;
    }
  }
}
