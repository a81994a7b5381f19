import { hostname } from 'node:os';
import type { DestinationStream } from 'pino';

/** pino's number for `info`, the level of the request lines (as pino-http wrote them). */
const INFO = 30;

/** How long a line may wait for others to join it before the lines go to the stream. */
const FLUSH_AFTER_MS = 100;

/** Lines waiting beyond this size go to the stream at once. */
const FLUSH_AT_BYTES = 64 * 1024;

/** What sonic-boom (pino's destination) adds: a synchronous write of what it still holds. */
interface FlushableStream extends DestinationStream {
  flushSync?: () => void;
}

/** Every RequestLines with lines waiting: the process's exit writes them (flushAtExit). */
const waiting = new Set<RequestLines>();
let exitHooked = false;

function flushAtExit(): void {
  for (const lines of waiting) {
    try {
      lines.flushSync();
    } catch {
      // A stream already closed: nothing more can be written at exit.
    }
  }
}

/**
 * Writes "request completed" lines exactly as pino writes an `info` line with its default options
 * (`{"level":30,"time":…,"pid":…,"hostname":…,<fields>,"msg":…}`), to the same stream, without
 * pino's work per call: the fields are plain JSON values built by RequestLog, which hold no
 * credential, so there is nothing to serialize or redact. request-lines.spec.ts checks the output
 * against pino's own.
 *
 * The lines of up to FLUSH_AFTER_MS go to the stream together: one write for many requests. Each
 * write of pino's asynchronous destination wakes a thread of libuv's pool, which cost a busy
 * service more CPU than building the line (docs/performance.md). A line may so reach the log up
 * to FLUSH_AFTER_MS after lines of other loggers written later; its `time` is when the request
 * ended. Lines still waiting are written when the process exits.
 */
export class RequestLines {
  private readonly bindings: string;
  private pending = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: FlushableStream) {
    this.bindings = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},`;
  }

  write(fields: object, message: string, time = Date.now()): void {
    const body = JSON.stringify(fields);
    this.pending += `{"level":${INFO},"time":${time}${this.bindings}${body.slice(1, -1)},"msg":${JSON.stringify(message)}}\n`;
    if (this.pending.length >= FLUSH_AT_BYTES) this.flush();
    else if (this.timer === undefined) this.wait();
  }

  /** Hands the lines written so far to the stream. */
  readonly flush = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    waiting.delete(this);
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    this.stream.write(lines);
  };

  /** Hands the lines to the stream, and has it write them before this returns: at exit. */
  flushSync(): void {
    this.flush();
    this.stream.flushSync?.();
  }

  private wait(): void {
    if (!exitHooked) process.once('exit', flushAtExit);
    exitHooked = true;
    waiting.add(this);
    this.timer = setTimeout(this.flush, FLUSH_AFTER_MS);
    // The lines wait for the process, never the other way: exit writes them.
    this.timer.unref();
  }
}
