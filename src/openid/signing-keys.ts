import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  hkdfSync,
  JsonWebKey,
  randomBytes,
} from 'node:crypto';
import { OpenIdConfig, openIdConfig } from './openid-config';
import { duplicateKeyField } from '../users/duplicate-key';

/** How often each instance looks for a key added by `rotate-keys`. */
export const KEY_CHECK_INTERVAL_MS = 60_000;

/**
 * A new key is published at once but signs only this long after it was added: by then every
 * instance (each checks every KEY_CHECK_INTERVAL_MS) publishes it, so a token one instance signs
 * verifies against the keys any other publishes.
 */
export const KEY_ACTIVATION_MS = 2 * KEY_CHECK_INTERVAL_MS;

interface StoredKey {
  _id: string;
  alg: 'RS256';
  createdAt: Date;
  /** The private JWK, AES-256-GCM encrypted with a key derived from OIDC_KEY_SECRET. */
  sealed: { iv: string; tag: string; data: string };
  /** Marks the key made on the very first start: a unique index lets only one instance make it. */
  first?: true;
}

/**
 * The provider's signing keys: generated on first start, kept in MongoDB with their private parts
 * encrypted. The newest key old enough to be published everywhere signs (see KEY_ACTIVATION_MS);
 * the others stay published so that tokens they signed still verify.
 */
@Injectable()
export class SigningKeys {
  private readonly logger = new Logger('SigningKeys');
  private readonly encryptionKey: Buffer;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(openIdConfig.KEY) config: OpenIdConfig,
  ) {
    if (!config.OIDC_KEY_SECRET) {
      this.logger.warn(
        'OIDC_KEY_SECRET is not set: signing keys are encrypted with a development secret',
      );
    }
    this.encryptionKey = Buffer.from(
      hkdfSync('sha256', config.oidcKeySecret, '', 'signing-keys', 32),
    );
  }

  /**
   * The private JWKs, the one that signs first, then the others newest first. On the very first
   * start one is made; instances starting together on an empty database agree on it.
   */
  async load(now = new Date()): Promise<JsonWebKey[]> {
    let stored = await this.keys().find().sort({ createdAt: -1 }).toArray();
    if (stored.length === 0) {
      await this.addFirst();
      stored = await this.keys().find().sort({ createdAt: -1 }).toArray();
    }
    return inSigningOrder(stored, now).map((key) => ({
      ...this.open(key),
      kid: key._id,
      alg: key.alg,
      use: 'sig',
    }));
  }

  /**
   * A new signing key: every instance publishes it within KEY_CHECK_INTERVAL_MS and signs with it
   * from KEY_ACTIVATION_MS on. Returns its id.
   */
  async add(): Promise<string> {
    return this.insert({});
  }

  /** The first key, made by whichever instance comes first; the others find it made. */
  private async addFirst(): Promise<void> {
    await this.keys().createIndex(
      { first: 1 },
      { name: 'one_first_key', unique: true, partialFilterExpression: { first: true } },
    );
    try {
      await this.insert({ first: true });
    } catch (error) {
      if (duplicateKeyField(error) === undefined) throw error;
    }
  }

  private async insert(marks: Pick<StoredKey, 'first'>): Promise<string> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(16).toString('base64url');
    await this.keys().insertOne({
      _id: kid,
      alg: 'RS256',
      createdAt: new Date(),
      sealed: this.seal(privateKey.export({ format: 'jwk' })),
      ...marks,
    });
    this.logger.log({ kid }, 'Signing key added');
    return kid;
  }

  /**
   * `rotate-keys`: a new key, published at once and signing after KEY_ACTIVATION_MS; keys replaced
   * longer ago than `keepPublishedMs` (the longest life of a token they signed) go.
   */
  async rotate(keepPublishedMs: number): Promise<{ added: string; removed: string[] }> {
    const added = await this.add();
    return { added, removed: await this.prune(keepPublishedMs) };
  }

  /** Removes the keys whose successor was added more than `keepPublishedMs` ago. */
  async prune(keepPublishedMs: number): Promise<string[]> {
    const keys = await this.keys().find().sort({ createdAt: -1 }).toArray();
    const limit = Date.now() - keepPublishedMs;
    const gone = keys.filter((_key, i) => i > 0 && keys[i - 1].createdAt.getTime() < limit);
    if (gone.length > 0) await this.keys().deleteMany({ _id: { $in: gone.map(({ _id }) => _id) } });
    return gone.map(({ _id }) => _id);
  }

  private keys() {
    return this.connection.db!.collection<StoredKey>('oidc_signing_keys');
  }

  private seal(jwk: JsonWebKey): StoredKey['sealed'] {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
    return {
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  private open({ _id, sealed }: StoredKey): JsonWebKey {
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.encryptionKey,
        Buffer.from(sealed.iv, 'base64'),
      );
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const json = Buffer.concat([
        decipher.update(Buffer.from(sealed.data, 'base64')),
        decipher.final(),
      ]).toString('utf8');
      return JSON.parse(json) as JsonWebKey;
    } catch {
      throw new Error(
        `Cannot decrypt signing key ${_id}: OIDC_KEY_SECRET is not the one it was stored with`,
      );
    }
  }
}

/**
 * Keys (given newest first) in the order the provider takes them: the signing key first (the
 * newest one added at least KEY_ACTIVATION_MS ago, or the oldest while none is), then the others.
 */
function inSigningOrder(keys: StoredKey[], now: Date): StoredKey[] {
  const published = now.getTime() - KEY_ACTIVATION_MS;
  const signing = keys.find((key) => key.createdAt.getTime() <= published) ?? keys[keys.length - 1];
  return [signing, ...keys.filter((key) => key !== signing)];
}
