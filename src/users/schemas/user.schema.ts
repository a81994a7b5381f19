import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Schema({ collection: 'users', timestamps: true, strict: 'throw', versionKey: false })
export class User {
  _id!: Types.ObjectId;

  /** Stored normalised (trimmed, lower case), so the unique index is case-insensitive. */
  @Prop({ type: String })
  email?: string;

  /** Stored lower case: 3–40 of a–z 0–9 _ -. */
  @Prop({ type: String, required: true })
  username!: string;

  @Prop({ type: String })
  name?: string;

  /** argon2id hash; never leaves the service (see toUserView). */
  @Prop({ type: String })
  passwordHash?: string;

  /**
   * Linked login providers: provider key → that provider's user ID (subject). A key is absent, never
   * null, when not linked, so each provider's sparse unique index ignores the account.
   */
  @Prop({ type: Object, default: () => ({}) })
  providers!: Record<string, string>;

  @Prop({ type: String, enum: ROLES, default: 'user' })
  role!: Role;

  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;

/**
 * The schema with its indexes: unique email (when present), unique username, and one unique index per
 * enabled provider, so an identity can belong to one account only.
 */
export function createUserSchema(providerKeys: string[]) {
  const schema = SchemaFactory.createForClass(User);
  // Accounts without an email (some provider sign-ins) are left out of the uniqueness check.
  schema.index(
    { email: 1 },
    { unique: true, partialFilterExpression: { email: { $type: 'string' } } },
  );
  schema.index({ username: 1 }, { unique: true });
  for (const key of providerKeys) {
    schema.index({ [`providers.${key}`]: 1 }, { unique: true, sparse: true });
  }
  return schema;
}
