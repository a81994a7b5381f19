import type { RequestHandler } from 'express';

/**
 * Middleware functions that every request passes through, as one express layer: express's router
 * then walks them once rather than once each. As with express, an error (or a function that does
 * not call on) stops the sequence, and a rejected promise is an error.
 */
export function inSequence(...handlers: RequestHandler[]): RequestHandler {
  return (request, response, next) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error) return next(error);
      const handler = handlers[index++];
      if (handler === undefined) return next();
      const returned: unknown = handler(request, response, step);
      if (returned instanceof Promise) {
        returned.catch((rejection: unknown) => next(rejection ?? new Error('Rejected promise')));
      }
    };
    step();
  };
}
