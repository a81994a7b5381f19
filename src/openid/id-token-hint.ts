import { Injectable } from '@nestjs/common';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import type { JsonWebKey } from 'node:crypto';
import { AppConfig } from '../platform/config/app-config';
import { SigningKeys } from './signing-keys';

/** What an ID token this provider issued says of its person and its app. */
export interface VerifiedHint {
  sub: string;
  /** The apps it was issued to (`aud`). */
  audiences: string[];
}

/**
 * Checks an `id_token_hint` (RP-initiated logout, OpenID Connect Core 3.1.2.1): an ID token that
 * this provider signed, with any key it publishes (the current one or one recently replaced), and
 * whose issuer is this provider. An expired one still counts as a hint (RP-Initiated Logout 1.0 §2
 * allows it: an app often signs out long after its ID token expired); it stops counting when its
 * key stops being published. Anything else (another signer, another issuer, `alg: none`, a token of
 * another kind such as a logout token) is no hint at all.
 */
@Injectable()
export class IdTokenHints {
  private readonly issuer: string;

  constructor(
    private readonly keys: SigningKeys,
    config: AppConfig,
  ) {
    this.issuer = config.publicUrl;
  }

  async verify(hint: string): Promise<VerifiedHint | undefined> {
    const published = createLocalJWKSet({ keys: (await this.keys.load()).map(publicPart) });
    let payload: Uint8Array;
    try {
      const verified = await compactVerify(hint, published, { algorithms: ['RS256'] });
      // ID tokens carry no `typ` (or plain JWT); logout and access tokens name theirs.
      const typ = verified.protectedHeader.typ;
      if (typ !== undefined && typ.toUpperCase() !== 'JWT') return undefined;
      payload = verified.payload;
    } catch {
      return undefined;
    }
    const claims = parseClaims(payload);
    if (!claims || claims.iss !== this.issuer || 'events' in claims) return undefined;
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
    if (typeof claims.sub !== 'string' || !Array.isArray(audiences)) return undefined;
    if (audiences.length === 0 || audiences.some((aud) => typeof aud !== 'string')) {
      return undefined;
    }
    return { sub: claims.sub, audiences: audiences as string[] };
  }
}

function parseClaims(payload: Uint8Array): Record<string, unknown> | undefined {
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A signing key as the JWKS publishes it: without its private parts. */
function publicPart({ kty, n, e, kid, alg }: JsonWebKey): JWK {
  return { kty: kty as string, n, e, kid: kid as string, alg: alg as string, use: 'sig' };
}
