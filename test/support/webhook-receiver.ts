import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A webhook as the receiver got it. */
export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  /** The status it was answered with (undefined while held). */
  status?: number;
}

/** How the receiver answers the next request: a status, or 'hang' (no answer until released). */
export type Answer = number | 'hang';

/**
 * A real HTTP server on a local port standing for another backend: it keeps every webhook it is
 * sent and answers with the statuses it is told to (204 by default). `stop()` closes the port: a
 * receiver that is down.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly answers: Answer[] = [];
  private readonly held: Array<{ webhook: ReceivedWebhook; response: ServerResponse }> = [];
  private server?: Server;

  private constructor(private port: number) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(0);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/accounts`;
  }

  /** The next requests are answered with these, in order; then 204 again. */
  answerNext(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  /** The webhooks received with this `type` in their body, in order. */
  ofType(type: string): ReceivedWebhook[] {
    return this.received.filter((webhook) => parse(webhook).type === type);
  }

  /** Waits until `count` webhooks match, up to 20 s (a busy machine). */
  async waitFor(
    match: (webhook: ReceivedWebhook) => boolean,
    count = 1,
    timeoutMs = 20_000,
  ): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `Got ${found.length} of ${count} webhooks; all received: ${JSON.stringify(this.received.map(({ body, status }) => ({ body, status })))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Answers the requests held by 'hang' with 503. */
  release(): void {
    for (const { webhook, response } of this.held.splice(0)) {
      webhook.status = 503;
      response.writeHead(503).end();
    }
  }

  async stop(): Promise<void> {
    this.release();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Listens (again, after stop()) on the same port. */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const webhook: ReceivedWebhook = {
        headers: request.headers as Record<string, string>,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.received.push(webhook);
      const answer = this.answers.shift() ?? 204;
      if (answer === 'hang') {
        this.held.push({ webhook, response });
        return;
      }
      webhook.status = answer;
      response.writeHead(answer).end();
    });
  }
}

/** A webhook's JSON body. */
export function parse(webhook: ReceivedWebhook): {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
} {
  return JSON.parse(webhook.body) as ReturnType<typeof parse>;
}
