import { connect, type Socket } from 'node:net';
import type { Source, SourceContext } from '../../source.js';

/**
 * socketTextStream (Flink's SocketTextStreamFunction): connects to host:port, emits the text
 * between delimiters, and ends when the server closes the connection (emitting what follows the
 * last delimiter). With delimiter "\n" a trailing "\r" is dropped. Backpressure pauses the socket,
 * so the sender is slowed by TCP. A failed connection fails the task with the cause.
 */
export class SocketTextSource implements Source<unknown> {
  private socket: Socket | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly delimiter: string,
  ) {}

  run(ctx: SourceContext<unknown>): Promise<void> {
    const { host, port, delimiter } = this;
    const where = `${host}:${port}`;
    return new Promise<void>((resolve, reject) => {
      let connected = false;
      let pending = '';
      let settled = false;
      const socket = connect({ host, port });
      this.socket = socket;
      socket.setEncoding('utf8');
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        ctx.signal.removeEventListener('abort', onAbort);
        socket.destroy();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => finish();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) return finish();
      const emit = (line: string): boolean => {
        if (delimiter === '\n' && line.endsWith('\r')) line = line.slice(0, -1);
        return ctx.collect(line);
      };
      socket.on('connect', () => {
        connected = true;
      });
      socket.on('data', (chunk: string) => {
        try {
          pending += chunk;
          let from = 0;
          let keepGoing = true;
          for (let at = pending.indexOf(delimiter); at !== -1; at = pending.indexOf(delimiter, from)) {
            keepGoing = emit(pending.slice(from, at)) && keepGoing;
            from = at + delimiter.length;
          }
          pending = pending.slice(from);
          if (!keepGoing && !ctx.isCanceled) {
            socket.pause();
            ctx.waitForOutputs().then(
              () => socket.resume(),
              (error: unknown) => finish(error as Error),
            );
          }
        } catch (error) {
          finish(error as Error);
        }
      });
      socket.on('end', () => {
        try {
          if (pending.length > 0) emit(pending);
          pending = '';
          finish();
        } catch (error) {
          finish(error as Error);
        }
      });
      socket.on('error', (error) => {
        const what = connected ? 'lost its connection to' : 'could not connect to';
        finish(new Error(`socketTextStream ${what} ${where}: ${error.message}`, { cause: error }));
      });
      socket.on('close', () => finish());
    });
  }

  cancel(): void {
    this.socket?.destroy();
  }
}
