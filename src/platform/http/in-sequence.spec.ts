import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { inSequence } from './in-sequence';

/** Runs the sequence on a dummy request; resolves with what reached express's `next`. */
function run(handler: RequestHandler): Promise<unknown[]> {
  return new Promise((resolve) => {
    const next = ((...args: unknown[]) => resolve(args)) as NextFunction;
    void handler({} as Request, {} as Response, next);
  });
}

describe('inSequence', () => {
  it('calls each function in turn, then goes on', async () => {
    const calls: string[] = [];
    const step =
      (name: string): RequestHandler =>
      (_request, _response, next) => {
        calls.push(name);
        next();
      };
    expect(await run(inSequence(step('a'), step('b'), step('c')))).toEqual([]);
    expect(calls).toEqual(['a', 'b', 'c']);
  });

  it('stops at an error and hands it on', async () => {
    const failure = new Error('refused');
    const later = jest.fn();
    const sequence = inSequence((_request, _response, next) => next(failure), later);
    expect(await run(sequence)).toEqual([failure]);
    expect(later).not.toHaveBeenCalled();
  });

  it('hands on a rejected promise as an error, as express does', async () => {
    const failure = new Error('rejected');
    const sequence = inSequence(() => Promise.reject(failure));
    expect(await run(sequence)).toEqual([failure]);
  });
});
