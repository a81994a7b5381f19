/**
 * An answer that a handler gives by throwing, with a status it cannot declare (Nest's status is
 * fixed per route) and without taking the response (`@Res`), which costs every request of the
 * route Nest's parameter pipeline: AppExceptionFilter sends `body` with `status` as it is.
 */
export class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {
    super(`HTTP ${status}`);
  }
}
