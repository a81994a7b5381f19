/**
 * Runs `update`, an atomic findOneAndUpdate of one record that answers the record after it; when
 * the record does not exist yet, `create`s it in its starting state first and updates that. Two
 * callers may both create it: the second insert fails on the duplicate key and is ignored.
 *
 * Used instead of an upsert because an upsert that loses such a race is not handled alike by every
 * server that speaks MongoDB's protocol (MongoDB retries it; SecantusDB may apply it and return
 * nothing), and these updates must be applied exactly once and answered.
 */
export async function updateOrCreate<T>(
  update: () => Promise<T | null>,
  create: () => Promise<unknown>,
): Promise<T> {
  // The TTL monitor may also remove the record between the two steps: start over.
  for (let tries = 0; tries < 3; tries++) {
    const updated = await update();
    if (updated !== null) return updated;
    await create().catch((error: unknown) => {
      if ((error as { code?: unknown } | null)?.code !== 11000) throw error;
    });
  }
  throw new Error('The record kept vanishing while being created');
}
