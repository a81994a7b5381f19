import { Injectable, Logger } from '@nestjs/common';
import {
  AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { EventsService, Tally } from '../../../audit/events/events.service';
import { AppError } from '../../../platform/http/app-error';
import { Passkey, User } from '../../../users/schemas/user.schema';
import { UsersRepository } from '../../../users/users.repository';
import { ChallengePurpose, PasskeyChallenge } from './passkey-challenge.schema';
import { CHALLENGE_LIFETIME_MS, IssuedChallenge, PasskeyChallenges } from './passkey-challenges';
import { RelyingParty } from './relying-party';

/** What a new passkey's registration proved, ready to store once it is named. */
export type NewCredential = Omit<Passkey, 'id' | 'name' | 'createdAt' | 'lastUsedAt'>;

/** Who a new passkey is for, as the authenticator will show it. */
export interface PasskeyHolder {
  /** The opaque user handle (base64url). */
  handle: string;
  /** The email, or the username. */
  userName: string;
  displayName: string;
}

/** Why an assertion was refused, as the audit event records it. */
type AssertionFailure =
  | 'unknown_challenge'
  | 'unknown_passkey'
  | 'wrong_user_handle'
  | 'invalid_assertion'
  | 'counter_went_backwards';

/** Transports as WebAuthn names them; anything else a client sends is dropped. */
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/**
 * The public key algorithms offered and accepted for new passkeys (COSE ids): EdDSA, ES256, RS256,
 * which every authenticator has. @simplewebauthn/server 14 would add ML-DSA-44 where Node's Web
 * Crypto has it, which Node 24 marks experimental (and warns about on first use).
 */
const PUBLIC_KEY_ALGORITHMS = [-8, -7, -257];

/** Assertions with credentials of no account: one event per client address and quarter hour. */
const UNKNOWN_PASSKEY_TALLY: Tally = { windowMs: 15 * 60_000, keepMs: 24 * 3600_000 };

/**
 * The WebAuthn ceremonies (@simplewebauthn/server) with this service as the relying party: the
 * options, each with a challenge kept server-side (PasskeyChallenges), and the checks of what the
 * authenticator answered. User verification is required and attestation is `none`; credentials
 * are discoverable, so a sign-in's options list none.
 */
@Injectable()
export class PasskeyCeremonies {
  private readonly logger = new Logger(PasskeyCeremonies.name);

  constructor(
    private readonly rp: RelyingParty,
    private readonly challenges: PasskeyChallenges,
    private readonly users: UsersRepository,
    private readonly events: EventsService,
  ) {}

  /** A new random user handle, for an account that has none yet. */
  newUserHandle(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Options to create a passkey for `holder`, which `exclude` (its passkeys) cannot be. */
  async creationOptions(
    holder: PasskeyHolder,
    exclude: readonly Passkey[],
    issued: IssuedChallenge,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userID: Buffer.from(holder.handle, 'base64url'),
      userName: holder.userName,
      userDisplayName: holder.displayName,
      timeout: CHALLENGE_LIFETIME_MS,
      attestationType: 'none',
      excludeCredentials: exclude.map((passkey) => ({
        id: passkey.credentialId,
        transports: passkey.transports,
      })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      supportedAlgorithmIDs: PUBLIC_KEY_ALGORITHMS,
    });
    await this.challenges.issue(options.challenge, issued);
    return options;
  }

  /**
   * Checks a registration response against the challenge given out for `purpose` (and `userId`),
   * using the challenge up. PASSKEY_REJECTED naming `response` when there is no such challenge
   * (never issued, used, expired, another purpose) or the response does not hold.
   */
  async verifyCreation(
    response: object,
    purpose: Extract<ChallengePurpose, 'add' | 'sign-up'>,
    userId?: Types.ObjectId,
  ): Promise<{ challenge: PasskeyChallenge; credential: NewCredential }> {
    const challenge = challengeOf(response);
    const issued = challenge && (await this.challenges.consume(challenge, purpose, userId));
    if (!challenge || !issued) {
      throw rejected(
        'These passkey options are unknown, expired or used already: they work once, for 5 minutes. Ask for new ones.',
      );
    }
    let info;
    try {
      const verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: true,
        supportedAlgorithmIDs: PUBLIC_KEY_ALGORITHMS,
      });
      info = verified.verified ? verified.registrationInfo : undefined;
    } catch (error) {
      this.logger.debug({ reason: (error as Error).message }, 'Passkey registration refused');
    }
    if (!info) {
      throw rejected(
        'The passkey could not be verified (it must come from this site, and your device must verify you). Try again with new options.',
      );
    }
    const { credential } = info;
    return {
      challenge: issued,
      credential: {
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports?.filter((transport) => TRANSPORTS.has(transport)),
        backedUp: info.credentialBackedUp,
        deviceType: info.credentialDeviceType,
      },
    };
  }

  /** Options to sign in (or confirm it is you) with any passkey of this site: none is listed. */
  async requestOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      userVerification: 'required',
      timeout: CHALLENGE_LIFETIME_MS,
    });
    await this.challenges.issue(options.challenge, { purpose: 'sign-in' });
    return options;
  }

  /**
   * Checks an assertion: its challenge given out for a sign-in and unused (used up now), its
   * credential registered to an account, the signature, origin, RP ID and user verification, and
   * a signature counter that moves forward (recorded with the passkey's use in one conditional
   * update). Returns the account and the passkey, as this use left it. Every refusal is recorded (on the account when
   * the credential is known) and answered alike: INVALID_CREDENTIALS, naming `field` if given.
   */
  async verifyAssertion(
    response: object,
    field?: string,
  ): Promise<{ user: User; passkey: Passkey }> {
    const challenge = challengeOf(response);
    const issued = challenge && (await this.challenges.consume(challenge, 'sign-in'));
    const credentialId = (response as { id?: unknown }).id;
    const user =
      typeof credentialId === 'string' && credentialId.length > 0
        ? await this.users.findByPasskey(credentialId)
        : null;
    const passkey = user?.passkeys?.find((each) => each.credentialId === credentialId);
    const refuse = (reason: AssertionFailure) => this.refuse(user, reason, field);
    if (!challenge || !issued) return refuse('unknown_challenge');
    if (!user || !passkey) return refuse('unknown_passkey');
    const userHandle = (response as { response?: { userHandle?: unknown } }).response?.userHandle;
    if (userHandle !== undefined && userHandle !== user.webauthnUserId) {
      return refuse('wrong_user_handle');
    }
    let info;
    try {
      const verified = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        // The counter is checked below, where a step back is told apart and recorded.
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: 0,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
      info = verified.verified ? verified.authenticationInfo : undefined;
    } catch (error) {
      this.logger.debug({ reason: (error as Error).message }, 'Passkey assertion refused');
    }
    if (!info) return refuse('invalid_assertion');
    const counted = info.newCounter > 0 || passkey.counter > 0;
    const recorded =
      !(counted && info.newCounter <= passkey.counter) &&
      (await this.users.recordPasskeyUse(user._id, passkey.credentialId, {
        counter: info.newCounter,
        backedUp: info.credentialBackedUp,
      }));
    if (!recorded) {
      // A valid signature with a counter at or below one seen: the passkey may have been cloned.
      this.logger.warn(
        { userId: String(user._id), passkey: passkey.id },
        'Passkey signature counter went backwards; sign-in refused',
      );
      return refuse('counter_went_backwards');
    }
    // As recorded by this use: a credential may have become synced since it was registered.
    return {
      user,
      passkey: { ...passkey, counter: info.newCounter, backedUp: info.credentialBackedUp },
    };
  }

  private async refuse(
    user: User | null,
    reason: AssertionFailure,
    field?: string,
  ): Promise<never> {
    const details = { method: 'passkey', reason };
    if (user) await this.events.record({ type: 'sign_in.failed', userId: user._id, details });
    else
      await this.events.countPerClient({ type: 'sign_in.failed', details }, UNKNOWN_PASSKEY_TALLY);
    throw new AppError('INVALID_CREDENTIALS', 'The passkey was not accepted.', field);
  }
}

/** The challenge a response's client data carries, or undefined when it has none readable. */
function challengeOf(response: object): string | undefined {
  const clientDataJSON = (response as { response?: { clientDataJSON?: unknown } }).response
    ?.clientDataJSON;
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 16_384) return undefined;
  try {
    const clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    return typeof clientData.challenge === 'string' && clientData.challenge.length > 0
      ? clientData.challenge
      : undefined;
  } catch {
    return undefined;
  }
}

function rejected(message: string): AppError {
  return new AppError('PASSKEY_REJECTED', message, 'response');
}
