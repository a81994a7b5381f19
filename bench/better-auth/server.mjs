// Better Auth as npm run bench runs it beside the service, as a yardstick for GET /me: Node's http
// server and toNodeHandler, the MongoDB adapter on MONGODB_URI (the bench's database server, a
// database of its own), email and password enabled, every other option at its default (so no
// cookie cache: `session.cookieCache` is off unless enabled). Listens on 127.0.0.1:PORT.
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { mongodbAdapter } from 'better-auth/adapters/mongodb';
import { toNodeHandler } from 'better-auth/node';
import { MongoClient } from 'mongodb';

const port = Number(process.env.PORT);
const client = new MongoClient(process.env.MONGODB_URI);
await client.connect();

const auth = betterAuth({
  baseURL: `http://127.0.0.1:${port}`,
  secret: process.env.BETTER_AUTH_SECRET,
  // As its documentation shows it: the client lets it use transactions.
  database: mongodbAdapter(client.db(), { client }),
  emailAndPassword: { enabled: true },
});

const handle = toNodeHandler(auth);
const server = createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  handle(request, response);
});
server.listen(port, '127.0.0.1');

process.once('SIGTERM', () => {
  server.close();
  client.close().finally(() => process.exit(0));
});
