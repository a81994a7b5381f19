import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A document that transactions write only so that they conflict with each other: MongoDB lets
 * one of two concurrent transactions that write the same document commit, and re-runs the other.
 */
@Schema({ collection: 'locks', versionKey: false, strict: 'throw' })
export class Lock {
  @Prop({ type: String, required: true })
  _id!: string;

  /** Counts the writes; its value means nothing. */
  @Prop({ type: Number, required: true, default: 0 })
  version!: number;
}

export const LockSchema = SchemaFactory.createForClass(Lock);
