import { Injectable } from '@nestjs/common';
import { importJWK, type KeyLike, SignJWT } from 'jose';
import { AppConfig } from '../../platform/config/app-config';
import { SigningKeys } from '../signing-keys';

/** How long a logout token is good for (Back-Channel Logout 1.0 §2.4: a short time). */
const LIFETIME_SECONDS = 120;

/** The event a logout token carries (Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a logout token says: whose session ended, at which app. */
export interface LogoutTokenClaims {
  clientId: string;
  sub: string;
  sid?: string;
  jti: string;
}

/**
 * Logout tokens (Back-Channel Logout 1.0 §2.4), signed like the ID tokens with the provider's
 * current signing key, `typ: logout+jwt`: iss, aud, iat, exp, jti, sub, sid when given, and the
 * back-channel logout event; never a nonce.
 */
@Injectable()
export class LogoutTokens {
  private readonly issuer: string;
  /** The imported signing key, by its id. */
  private imported?: { kid: string; key: KeyLike | Uint8Array };

  constructor(
    private readonly keys: SigningKeys,
    config: AppConfig,
  ) {
    this.issuer = config.publicUrl;
  }

  async sign({ clientId, sub, sid, jti }: LogoutTokenClaims): Promise<string> {
    const { kid, key } = await this.signingKey();
    return new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...(sid && { sid }) })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
      .setIssuer(this.issuer)
      .setAudience(clientId)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`)
      .sign(key);
  }

  /** The key that signs now (SigningKeys' first), imported once. */
  private async signingKey(): Promise<{ kid: string; key: KeyLike | Uint8Array }> {
    const [jwk] = await this.keys.load();
    const kid = jwk.kid as string;
    if (this.imported?.kid !== kid) {
      this.imported = {
        kid,
        key: await importJWK(jwk as Parameters<typeof importJWK>[0], 'RS256'),
      };
    }
    return this.imported;
  }
}
