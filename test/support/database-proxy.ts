import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { testServerUri } from './mongo-uri';

/**
 * A TCP proxy in front of the test database server, which a test cuts to play an outage: the
 * connections through it are dropped and new ones refused (as when the database's process or host
 * is gone), until it is restored on the same port; or holds, to play a network partition: every
 * connection stays open and new ones are accepted, but no answer comes, until it is restored.
 * Apps connect through `uri()`.
 */
export class DatabaseProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** The database's side of each connection, paused while holding. */
  private readonly upstreams = new Set<Socket>();
  /** Whether the database's answers are held back (the connections stay open). */
  private holding = false;

  private constructor(
    private readonly target: { host: string; port: number },
    private port = 0,
  ) {}

  static async start(): Promise<DatabaseProxy> {
    const proxy = new DatabaseProxy(firstHostOf(testServerUri()));
    await proxy.restore();
    return proxy;
  }

  /**
   * A connection string for `database` through the proxy. A direct connection: a replica set's
   * members would otherwise be reached at the addresses they announce, past the proxy.
   */
  uri(database: string): string {
    const options = new URL(testServerUri()).searchParams;
    options.delete('replicaSet');
    options.set('directConnection', 'true');
    const credentials = /^mongodb:\/\/([^@/]*@)?/.exec(testServerUri())?.[1] ?? '';
    return `mongodb://${credentials}127.0.0.1:${this.port}/${database}?${options.toString()}`;
  }

  /**
   * The database's answers stop coming, as when it hangs or a network partition drops its packets:
   * an operation sent now stays under way, with its connection open, until the proxy is cut or
   * restored. The answers held back are delivered on restore (as TCP does once a partition heals),
   * to the connections the app still has open.
   */
  hold(): void {
    this.holding = true;
    for (const upstream of this.upstreams) upstream.pause();
  }

  /** The database becomes unreachable: open connections are dropped, new ones refused. */
  async cut(): Promise<void> {
    this.holding = false;
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.upstreams.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The database is reachable again, on the same port, and answers again. */
  async restore(): Promise<void> {
    this.holding = false;
    for (const upstream of this.upstreams) upstream.resume();
    if (this.server) return;
    const server = createServer((client) => this.pass(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  close(): Promise<void> {
    return this.cut();
  }

  private pass(client: Socket): void {
    const upstream = createConnection(this.target);
    this.upstreams.add(upstream);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.upstreams.delete(upstream);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    // Not piped: a piped stream may resume by itself (when its destination drains).
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // A connection opened while holding is accepted, but its handshake gets no answer either.
    if (this.holding) upstream.pause();
  }
}

/** The first host of a `mongodb://` connection string (a test server's is a single one). */
function firstHostOf(uri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/?,]+)/.exec(uri);
  if (!match) throw new Error(`The database proxy cannot reach ${uri}`);
  const { hostname, port } = new URL(`tcp://${match[1]}`);
  return { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 27017) };
}
