import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Login providers an account can be linked to; each holds that provider's user ID. */
export const PROVIDER_FIELDS = ['google', 'github', 'facebook'] as const;
export type ProviderField = (typeof PROVIDER_FIELDS)[number];

@Schema({ _id: false, strict: 'throw' })
export class LinkedProviders {
  // Left undefined (never null) when not linked, so the sparse unique indexes skip the field.
  @Prop({ type: String }) google?: string;
  @Prop({ type: String }) github?: string;
  @Prop({ type: String }) facebook?: string;
}

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

  @Prop({ type: LinkedProviders, default: () => ({}) })
  providers!: LinkedProviders;

  @Prop({ type: String, enum: ROLES, default: 'user' })
  role!: Role;

  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;

export const UserSchema = SchemaFactory.createForClass(User);

// Accounts without an email (some provider sign-ins) are left out of the uniqueness check.
UserSchema.index(
  { email: 1 },
  { unique: true, partialFilterExpression: { email: { $type: 'string' } } },
);
UserSchema.index({ username: 1 }, { unique: true });
for (const provider of PROVIDER_FIELDS) {
  UserSchema.index({ [`providers.${provider}`]: 1 }, { unique: true, sparse: true });
}
