/** Verifies a JWT with jose: signature against a remote JWKS, plus issuer and audience. */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

export interface JwtVerifyOptions {
  jwksUri: string;
  issuer?: string;
  audience?: string;
  algorithms?: string[];
}

export interface VerifiedJwt {
  payload: Record<string, unknown>;
  protectedHeader: Record<string, unknown>;
}

/** Resolves with the verified token; rejects with jose's error (its `code` says why). */
export async function verifyJwtWithJose(
  jwt: string,
  options: JwtVerifyOptions,
): Promise<VerifiedJwt> {
  const { jwksUri, ...checks } = options;
  try {
    const { payload, protectedHeader } = await jwtVerify(
      jwt,
      createRemoteJWKSet(new URL(jwksUri)),
      checks,
    );
    return { payload, protectedHeader: protectedHeader };
  } catch (error) {
    if (error instanceof errors.JOSEError)
      throw Object.assign(new Error(error.message), { code: error.code });
    throw error;
  }
}
