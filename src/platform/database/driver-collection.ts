import type { Model, mongo } from 'mongoose';

/**
 * A model's collection, typed by its records, for commands sent by the driver itself: where there
 * is nothing to cast and mongoose's query would only add work (a hot path's update pipeline).
 * Nothing sent this way is cast or validated.
 */
export function driverCollection<T extends mongo.Document>(model: Model<T>): mongo.Collection<T> {
  return model.collection as unknown as mongo.Collection<T>;
}
