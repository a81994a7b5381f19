export {
  OAuthEmulator,
  startOAuthEmulator,
  startGoogleEmulator,
  startGitHubEmulator,
  startFacebookEmulator,
} from './oauth-emulator';
export type {
  EmulatedProvider,
  EmulatedUser,
  EmulatorOptions,
  FailableEndpoint,
  FailureMode,
  RecordedRequest,
} from './oauth-emulator';
export { startOidcIssuer, combineOidcEnv, oidcEnvKey } from './oidc-issuer';
export type { OidcIssuer, OidcIssuerOptions } from './oidc-issuer';
export { signInAtProvider } from './dance';
export type { ProviderJar, ProviderLogin, SignInOptions } from './dance';
export { verifyJwtWithJose } from './jose-verify';
export type { JwtVerifyOptions, VerifiedJwt } from './jose-verify';
