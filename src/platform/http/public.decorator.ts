import { applyDecorators, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';
export const READS_SESSION = 'readsSession';

/**
 * Opts a route out of the global session guard. `readsSession`: the route still looks at the
 * session when there is one (to end it, or to act for its account), which the OpenAPI document
 * states as an optional session cookie.
 */
export const Public = ({ readsSession = false }: { readsSession?: boolean } = {}) =>
  readsSession
    ? applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(READS_SESSION, true))
    : SetMetadata(IS_PUBLIC, true);
