// A NestJS guard for an API that takes this service's JWT access tokens (RFC 9068). It verifies
// each token locally, against the keys the provider publishes (fetched once, cached, and fetched
// again when a token names a new key), without calling the provider per request.
// docs/openid-provider.md ("Tokens for your APIs") shows it; test/e2e/oidc-apis.e2e-spec.ts runs it.
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

export interface ApiGuardOptions {
  /** The provider's issuer: its PUBLIC_URL, exactly as discovery says. */
  issuer: string;
  /** This API's indicator, as declared in the provider's OIDC_RESOURCES. */
  audience: string;
  /** The scope this route needs (one of the API's scopes), if any. */
  scope?: string;
}

/** What a verified token says: who (`sub`), through which app (`client_id`), allowed what (`scope`). */
export interface ApiCaller extends JWTPayload {
  sub: string;
  client_id: string;
  scope?: string;
}

/** Verifies one access token: signature by a published key, issuer, audience, type, expiry. */
export function accessTokenVerifier({ issuer, audience }: ApiGuardOptions) {
  const keys = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  return async (token: string): Promise<ApiCaller> => {
    const { payload } = await jwtVerify<ApiCaller>(token, keys, {
      issuer,
      audience,
      typ: 'at+jwt',
      algorithms: ['RS256'],
      requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'jti'],
    });
    // A DPoP-bound token is only good with a proof of its key (RFC 9449 §7), which this guard
    // does not check: refuse it rather than accept it as a bearer token.
    if (payload.cnf !== undefined) throw new Error('sender-constrained token');
    return payload;
  };
}

/** `@UseGuards(new ApiGuard({ issuer, audience, scope: 'orders:read' }))` on a route or controller. */
@Injectable()
export class ApiGuard implements CanActivate {
  private readonly verify: (token: string) => Promise<ApiCaller>;

  constructor(private readonly options: ApiGuardOptions) {
    this.verify = accessTokenVerifier(options);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; caller?: ApiCaller }>();
    const [kind, token] = request.headers.authorization?.split(' ') ?? [];
    if (kind !== 'Bearer' || !token) throw new UnauthorizedException('a bearer token is needed');
    const caller = await this.verify(token).catch(() => {
      throw new UnauthorizedException('the access token is not valid for this API');
    });
    const { scope } = this.options;
    if (scope && !caller.scope?.split(' ').includes(scope)) {
      throw new ForbiddenException(`the access token lacks scope ${scope}`);
    }
    request.caller = caller;
    return true;
  }
}
