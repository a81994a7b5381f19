/** The same server's connection string with another database name. */
export function withDatabase(uri: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(uri);
  if (!match) throw new Error(`Cannot read the MongoDB connection string ${uri}`);
  return `${match[1]}/${database}${match[3] ?? ''}`;
}

export function testServerUri(): string {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri)
    throw new Error('TEST_MONGODB_URI is not set: run the e2e tests through jest (npm test).');
  return uri;
}
