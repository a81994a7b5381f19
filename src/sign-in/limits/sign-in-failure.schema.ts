import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SignInChecks } from '../../users/schemas/user.schema';

/**
 * The password checks of one account (or of one unknown login, counted the same way), shared by
 * every instance: its failures in a row, which a successful check sets back to zero, and its checks
 * this minute: the fields an account keeps on its own record (SignInChecks), in a collection of
 * their own for unknown logins and records the validator refuses. MongoDB's TTL monitor forgets a
 * record at `expiresAt`.
 */
@Schema({ collection: 'sign_in_failures', versionKey: false, strict: 'throw' })
export class SignInFailure extends SignInChecks {
  /** SHA-256 of the account key (signInFailureId), so no typed email or username is stored. */
  @Prop({ type: String, required: true })
  _id!: string;
}

export const SignInFailureSchema = SchemaFactory.createForClass(SignInFailure);
SignInFailureSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
