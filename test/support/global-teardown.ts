import type { EmbeddedMongo } from '../../src/platform/database/embedded-mongo';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { testMongo?: EmbeddedMongo }).testMongo?.stop();
}
