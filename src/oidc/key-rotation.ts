import type { INestApplicationContext } from '@nestjs/common';
import { EventsService } from '../events/events.service';
import { ID_TOKEN_TTL_SECONDS } from './oidc-provider.service';
import { SigningKeys } from './signing-keys';

/**
 * How long a replaced key stays published: the longest life of a token it signed (an ID token),
 * plus the minute instances take to start signing with the new key, twice over.
 */
export const KEEP_REPLACED_KEYS_MS = 2 * (ID_TOKEN_TTL_SECONDS + 60) * 1000;

/** `npm run cli -- rotate-keys`: a new signing key, and the keys replaced long enough ago removed. */
export async function rotateSigningKeys(app: INestApplicationContext): Promise<string> {
  const { added, removed } = await app.get(SigningKeys).rotate(KEEP_REPLACED_KEYS_MS);
  await app.get(EventsService).record({ type: 'signing_key.rotated', details: { added, removed } });
  const gone = removed.length > 0 ? `; removed ${removed.join(', ')}` : '';
  return `Added signing key ${added}; running instances sign with it within a minute${gone}.`;
}
