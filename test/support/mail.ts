import { simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the SMTP server received it. */
export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/**
 * A real SMTP server (the smtp-server package) on a local port, keeping every message it accepts.
 * `stop()` and `start()` simulate an outage on the same port.
 */
export class MailServer {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;
  private waiters: (() => void)[] = [];
  /** While holding, messages are read but not answered yet: a slow server (see hold()). */
  private holding = false;
  private held: ((accept: boolean) => void)[] = [];
  private constructor(private port: number) {}

  static async start(): Promise<MailServer> {
    const mail = new MailServer(0);
    await mail.start();
    return mail;
  }

  /** SMTP_URL for the app. */
  get env(): Record<string, string> {
    return {
      SMTP_URL: `smtp://127.0.0.1:${this.port}`,
      MAIL_FROM: 'Accounts <no-reply@example.test>',
    };
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then(async (parsed) => {
            if (this.holding) {
              const accepted = await new Promise<boolean>((answer) => this.held.push(answer));
              if (!accepted) return callback(temporaryFailure());
            }
            this.received.push({
              to: session.envelope.rcptTo.map(({ address }) => address).join(', '),
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
            });
            callback();
            for (const wake of this.waiters.splice(0)) wake();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** From now on, messages are read but left unanswered until releaseHeld(): a slow server. */
  hold(): void {
    this.holding = true;
  }

  /** Messages read and waiting for their answer. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Stops holding, and answers the held messages: accepted (received), or refused for now (451). */
  releaseHeld({ accept = true } = {}): void {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer(accept);
  }

  /** Refuses connections until start() again: an outage. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The messages sent to `to` so far. */
  to(to: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to === to.toLowerCase());
  }

  /** Waits for the `count`-th message to `to` (the first by default), up to 20 s (a busy machine). */
  async next(to: string, count = 1, timeoutMs = 20_000): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(to).length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `No message #${count} to ${to}; got: ${JSON.stringify(this.received.map((m) => [m.to, m.subject]))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.to(to)[count - 1];
  }

  async close(): Promise<void> {
    await this.stop();
  }
}

/** What a server answers when it cannot take a message now (the sender retries later). */
function temporaryFailure(): Error {
  return Object.assign(new Error('Try again later'), { responseCode: 451 });
}

/** The first link in a message's text that goes to `page` (e.g. '/verify-email'). */
export function linkIn(mail: ReceivedMail, page: string): URL {
  const found = (mail.text.match(/https?:\/\/\S+/g) ?? [])
    .map((href) => new URL(href))
    .find((url) => url.pathname.endsWith(page));
  if (!found) throw new Error(`No link to ${page} in: ${mail.text}`);
  return found;
}

/** The token of the first link to `page` in a message. */
export function tokenIn(mail: ReceivedMail, page: string): string {
  const token = linkIn(mail, page).searchParams.get('token');
  if (!token) throw new Error(`The link to ${page} has no token`);
  return token;
}
