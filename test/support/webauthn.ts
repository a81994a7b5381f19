import { encode as cborEncode } from 'cbor';
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';

/*
 * A software WebAuthn authenticator for API tests: ES256 keys (node:crypto), `none` attestation,
 * CBOR from node-cbor (`cbor`), discoverable credentials with a user handle, the user-verified flag (and the
 * backup flags when `synced`) and a signature counter. Each ceremony can be forged to fail one check: another origin or RP ID, no
 * user verification, a bad signature, a counter set back, or a response reused.
 */

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** Ways to make a ceremony's response wrong. */
export interface Forgery {
  /** clientDataJSON's origin. */
  origin?: string;
  /** The RP ID whose hash the authenticator data carries. */
  rpId?: string;
  /** Leave the user-verified flag out. */
  noUserVerification?: boolean;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
  /** The signature counter to report (a cloned authenticator's older one). */
  counter?: number;
  /** Sign this challenge instead of the options'. */
  challenge?: string;
  /**
   * Create a credential under this id (base64url), new keys and all, ignoring the options'
   * exclusions: a credential id that another account registered already.
   */
  credentialId?: string;
}

/** A credential the authenticator holds. */
export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  /** The user handle (base64url) it was created for. */
  userHandle: string;
  counter: number;
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: Array<{ id: string }>;
  authenticatorSelection?: { userVerification?: string; residentKey?: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: Array<{ id: string }>;
  userVerification?: string;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  /**
   * Whether its credentials are synced, as a password manager's or a phone vendor's are: their
   * authenticator data carry the backup-eligible and backed-up flags (BE, BS).
   */
  synced = false;

  /** `origin` is the app's (PUBLIC_URL's origin); the RP ID defaults to its host. */
  constructor(
    private readonly origin = 'http://localhost:3000',
    private readonly rpId = new URL(origin).hostname,
  ) {}

  /** navigator.credentials.create(): a new credential, and the registration response as JSON. */
  create(options: CreationOptions, forgery: Forgery = {}) {
    const excluded = new Set((options.excludeCredentials ?? []).map(({ id }) => id));
    if (forgery.credentialId === undefined && this.credentials.some(({ id }) => excluded.has(id))) {
      throw new Error('InvalidStateError: a credential of the list is on this authenticator');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credentialId =
      forgery.credentialId === undefined
        ? randomBytes(32)
        : Buffer.from(forgery.credentialId, 'base64url');
    const credential: SoftCredential = {
      id: credentialId.toString('base64url'),
      privateKey,
      userHandle: options.user.id,
      counter: forgery.counter ?? 0,
    };
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = cborEncode(
      new Map<number, unknown>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const attested = Buffer.concat([
      Buffer.alloc(16), // AAGUID: none
      uint16(credentialId.length),
      credentialId,
      coseKey,
    ]);
    const authData = Buffer.concat([
      this.authDataHead(forgery, credential.counter, FLAG_AT),
      attested,
    ]);
    const attestationObject = cborEncode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, forgery);
    this.credentials.push(credential);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal', 'hybrid'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * navigator.credentials.get(): an assertion by `credential` (the last one created by default),
   * its counter moved on by one (or set to `forgery.counter`).
   */
  get(options: RequestOptions, credential = this.last(), forgery: Forgery = {}) {
    credential.counter = forgery.counter ?? credential.counter + 1;
    const authData = this.authDataHead(forgery, credential.counter, 0);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, forgery);
    const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
    const signature = sign('sha256', signed, credential.privateKey);
    if (forgery.badSignature) signature[signature.length - 1] ^= 0x01;
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  last(): SoftCredential {
    const credential = this.credentials.at(-1);
    if (!credential) throw new Error('The authenticator holds no credential');
    return credential;
  }

  private authDataHead(forgery: Forgery, counter: number, extraFlags: number): Buffer {
    const rpIdHash = createHash('sha256')
      .update(forgery.rpId ?? this.rpId)
      .digest();
    const backup = this.synced ? FLAG_BE | FLAG_BS : 0;
    const flags = FLAG_UP | (forgery.noUserVerification ? 0 : FLAG_UV) | backup | extraFlags;
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    return Buffer.concat([rpIdHash, Buffer.from([flags]), counterBytes]);
  }

  private clientData(type: string, challenge: string, forgery: Forgery): Buffer {
    return Buffer.from(
      JSON.stringify({
        type,
        challenge: forgery.challenge ?? challenge,
        origin: forgery.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}
