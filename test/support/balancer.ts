import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Set by a test to play a client at another address: the balancer reports it as the client's. */
export const CLIENT_ADDRESS_HEADER = 'x-test-client-address';

/**
 * A reverse proxy in front of several instances, as nginx is in docker-compose.yml: browsers and
 * apps use its URL (the instances' PUBLIC_URL), and each request goes to one instance, with no
 * sticky sessions. Tests choose which (`to`), or let it take turns (`alternate`). Like nginx's
 * default, it opens a new connection to the instance for each request, and appends the client's
 * address to X-Forwarded-For (so the instances run with TRUST_PROXY=1).
 */
export class Balancer {
  /** Which instance served each request, in order. */
  readonly served: number[] = [];
  private backends: string[] = [];
  private pinned?: number;
  private turn = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Balancer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const balancer = new Balancer(server, `http://localhost:${port}`);
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      balancer.pass(request, response),
    );
    return balancer;
  }

  /** The instances behind it, by their own URLs. */
  route(backends: string[]): void {
    this.backends = backends;
  }

  /** Sends every request to instance `index` from now on. */
  to(index: number): void {
    this.pinned = index;
  }

  /** Sends each request to the next instance in turn (round robin, nginx's default), from `first`. */
  alternate(first = this.turn % Math.max(this.backends.length, 1)): void {
    this.pinned = undefined;
    this.turn = first;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private pass(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const index = this.pinned ?? this.turn++ % this.backends.length;
    this.served.push(index);
    const target = new URL(incoming.url ?? '/', this.backends[index]);
    const headers = { ...incoming.headers };
    const claimed = headers[CLIENT_ADDRESS_HEADER];
    delete headers[CLIENT_ADDRESS_HEADER];
    const client =
      typeof claimed === 'string' ? claimed : (incoming.socket.remoteAddress ?? '127.0.0.1');
    const before = headers['x-forwarded-for'];
    headers['x-forwarded-for'] = before ? `${String(before)}, ${client}` : client;
    headers['x-forwarded-proto'] = 'http';
    const upstream = forward(
      target,
      { method: incoming.method, headers, agent: false },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(upstream);
  }
}
