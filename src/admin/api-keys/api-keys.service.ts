import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { API_KEY_SCOPES, type ApiKeyScope } from '../admin-access';
import { AppError } from '../../platform/http/app-error';
import { Transactions } from '../../platform/database/transactions';
import { EventsService } from '../../audit/events/events.service';
import { RequestContext } from '../../audit/events/request-context';
import { ApiKeyPrincipal } from './api-key-request';
import { ApiKey } from './api-key.schema';
import { newKeyMaterial, parseKey, secretMatches } from './api-key-secret';

export interface NewApiKey {
  name: string;
  scopes: readonly string[];
}

/** A key just created: the only time `key` exists outside its holder's hands. */
export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  key: string;
  createdAt: Date;
}

/** `lastUsedAt` is written at most this often, so most requests made with a key cost one read. */
const LAST_USED_PRECISION_MS = 60_000;

/** API keys: created by an admin or the CLI, shown once, stored as hashes, revoked for good. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectModel(ApiKey.name) private readonly keys: Model<ApiKey>,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly context: RequestContext,
  ) {}

  /** A new key; the returned `key` is never shown again. The actor of the request creates it. */
  async create(input: NewApiKey): Promise<CreatedApiKey> {
    const name = checkedName(input.name);
    const scopes = checkedScopes(input.scopes);
    const { id, key, secretHash } = newKeyMaterial();
    const createdAt = new Date();
    await this.transactions.run(async () => {
      await this.keys.create({
        _id: id,
        name,
        scopes,
        secretHash,
        createdAt,
        createdBy: this.context.actor,
      });
      await this.events.record({
        type: 'api_key.created',
        details: { apiKeyId: id, name, scopes },
      });
    });
    return { id, name, scopes, key, createdAt };
  }

  /** Every key, newest first, revoked ones included; never a secret or its hash. */
  async list(): Promise<Omit<ApiKey, 'secretHash'>[]> {
    return this.keys
      .find({}, { secretHash: 0 })
      .sort({ createdAt: -1, _id: 1 })
      .lean<Omit<ApiKey, 'secretHash'>[]>()
      .exec();
  }

  /**
   * Revokes a key: from now on it is refused. Returns false when it was revoked already (nothing
   * changes, nothing is recorded); API_KEY_NOT_FOUND when there is no such key.
   */
  async revoke(id: string): Promise<boolean> {
    return this.transactions.run(async () => {
      const revoked = await this.keys
        .findOneAndUpdate(
          { _id: id, revokedAt: mongoose.trusted({ $exists: false }) },
          { $set: { revokedAt: new Date() } },
          { projection: { name: 1 } },
        )
        .lean<Pick<ApiKey, '_id' | 'name'>>()
        .exec();
      if (revoked) {
        await this.events.record({
          type: 'api_key.revoked',
          details: { apiKeyId: revoked._id, name: revoked.name },
        });
        return true;
      }
      if (await this.keys.exists({ _id: id })) return false;
      throw new AppError('API_KEY_NOT_FOUND', `There is no API key with the id ${id}.`, 'id');
    });
  }

  /**
   * The live key a request presents, or null: malformed, unknown, revoked and wrong secrets alike.
   * One read by id; `lastUsedAt` is brought up to date when it is a minute old or more, by an
   * update whose filter says so (many requests at once still write it once).
   */
  async authenticate(presented: string): Promise<ApiKeyPrincipal | null> {
    const parsed = parseKey(presented);
    if (!parsed) return null;
    const key = await this.keys
      .findOne({ _id: parsed.id, revokedAt: mongoose.trusted({ $exists: false }) })
      .lean<ApiKey>()
      .exec();
    if (!key || !secretMatches(parsed.secret, key.secretHash)) return null;
    const now = new Date();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS) {
      const stale = new Date(now.getTime() - LAST_USED_PRECISION_MS);
      await this.keys
        .updateOne(
          {
            _id: key._id,
            $or: [
              { lastUsedAt: mongoose.trusted({ $exists: false }) },
              { lastUsedAt: mongoose.trusted({ $lte: stale }) },
            ],
          },
          { $set: { lastUsedAt: now } },
        )
        .exec();
    }
    return { id: key._id, name: key.name, scopes: key.scopes };
  }
}

/** The HTTP API checks these in its DTO as well; the CLI comes here directly. */
function checkedName(name: string): string {
  const trimmed = name.trim();
  // Characters as the DTO (and the OpenAPI document) count them: code points, not UTF-16 units.
  const length = [...trimmed].length;
  if (length < 1 || length > 100 || /\p{Cc}/u.test(trimmed)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'name must be 1 to 100 characters, without control characters',
      'name',
    );
  }
  return trimmed;
}

/** The scopes asked for, each once, in the order of API_KEY_SCOPES. */
function checkedScopes(scopes: readonly string[]): ApiKeyScope[] {
  const unknown = scopes.find((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (unknown !== undefined || scopes.length === 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `scopes must be one or more of ${API_KEY_SCOPES.join(', ')}`,
      'scopes',
    );
  }
  return API_KEY_SCOPES.filter((scope) => scopes.includes(scope));
}
