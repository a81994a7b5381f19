import type { INestApplicationContext } from '@nestjs/common';
import { EventsService } from '../audit/events/events.service';
import { ID_TOKEN_TTL_SECONDS } from './oidc-provider.service';
import { KEY_ACTIVATION_MS, KEY_CHECK_INTERVAL_MS, SigningKeys } from './signing-keys';

/**
 * How long a replaced key stays published: the longest life of a token it signed (an ID token),
 * plus the time until every instance signs with its successor instead, twice over.
 */
export const KEEP_REPLACED_KEYS_MS =
  2 * (ID_TOKEN_TTL_SECONDS * 1000 + KEY_ACTIVATION_MS + KEY_CHECK_INTERVAL_MS);

/** `npm run cli -- rotate-keys`: a new signing key, and the keys replaced long enough ago removed. */
export async function rotateSigningKeys(app: INestApplicationContext): Promise<string> {
  const { added, removed } = await app.get(SigningKeys).rotate(KEEP_REPLACED_KEYS_MS);
  await app.get(EventsService).record({ type: 'signing_key.rotated', details: { added, removed } });
  const gone = removed.length > 0 ? `; removed ${removed.join(', ')}` : '';
  const minutes = (KEY_ACTIVATION_MS + KEY_CHECK_INTERVAL_MS) / 60_000;
  return `Added signing key ${added}; running instances publish it within a minute and sign with it within ${minutes} minutes${gone}.`;
}
