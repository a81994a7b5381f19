import { Injectable, Logger } from '@nestjs/common';
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
import { AppConfig } from '../config/app-config';

interface StoredKey {
  _id: string;
  alg: 'RS256';
  createdAt: Date;
  /** The private JWK, AES-256-GCM encrypted with a key derived from OIDC_KEY_SECRET. */
  sealed: { iv: string; tag: string; data: string };
}

/**
 * The provider's signing keys: generated on first start, kept in MongoDB with their private parts
 * encrypted, newest first (the newest signs; the others stay published so that tokens they signed
 * still verify).
 */
@Injectable()
export class SigningKeys {
  private readonly logger = new Logger('SigningKeys');
  private readonly encryptionKey: Buffer;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    config: AppConfig,
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

  /** The private JWKs, newest first; one is made when there is none. */
  async load(): Promise<JsonWebKey[]> {
    let stored = await this.keys().find().sort({ createdAt: -1 }).toArray();
    if (stored.length === 0) {
      await this.add();
      stored = await this.keys().find().sort({ createdAt: -1 }).toArray();
    }
    return stored.map((key) => ({ ...this.open(key), kid: key._id, alg: key.alg, use: 'sig' }));
  }

  /** A new signing key; instances sign with it once they restart. Returns its id. */
  async add(): Promise<string> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(16).toString('base64url');
    await this.keys().insertOne({
      _id: kid,
      alg: 'RS256',
      createdAt: new Date(),
      sealed: this.seal(privateKey.export({ format: 'jwk' })),
    });
    this.logger.log({ kid }, 'Signing key added');
    return kid;
  }

  /**
   * `rotate-keys`: a new key signs from now on (each instance picks it up within a minute); keys
   * replaced longer ago than `keepPublishedMs` (the longest life of a token they signed) go.
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
