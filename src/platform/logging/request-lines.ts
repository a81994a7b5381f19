import { hostname } from 'node:os';
import type { DestinationStream } from 'pino';

/** pino's number for `info`, the level of the request lines (as pino-http wrote them). */
const INFO = 30;

/**
 * Writes "request completed" lines exactly as pino writes an `info` line with its default options
 * (`{"level":30,"time":…,"pid":…,"hostname":…,<fields>,"msg":…}`), to the same stream, without
 * pino's work per call: the fields are plain JSON values built by RequestLog, which hold no
 * credential, so there is nothing to serialize or redact. request-lines.spec.ts checks the output
 * against pino's own.
 *
 * The lines of one turn of the event loop go to the stream together, at its end: one write to the
 * stream (and so, mostly, one system call) for many requests instead of one each.
 */
export class RequestLines {
  private readonly bindings: string;
  private pending = '';

  constructor(private readonly stream: DestinationStream) {
    this.bindings = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},`;
  }

  write(fields: object, message: string, time = Date.now()): void {
    const body = JSON.stringify(fields);
    if (this.pending === '') setImmediate(this.flush);
    this.pending += `{"level":${INFO},"time":${time}${this.bindings}${body.slice(1, -1)},"msg":${JSON.stringify(message)}}\n`;
  }

  /** Hands the lines written so far to the stream. */
  readonly flush = (): void => {
    if (this.pending === '') return;
    const lines = this.pending;
    this.pending = '';
    this.stream.write(lines);
  };
}
