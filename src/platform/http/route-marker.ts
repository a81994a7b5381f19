import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * A route marker (SetMetadata on the handler, else on its controller) as the global guards read it
 * on every request: looked up once per handler, then remembered.
 */
export class RouteMarker<T> {
  private readonly byController = new WeakMap<object, Map<object, T | undefined>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly key: string,
  ) {}

  of(context: ExecutionContext): T | undefined {
    const controller = context.getClass();
    const handler = context.getHandler();
    let handlers = this.byController.get(controller);
    if (!handlers) {
      handlers = new Map();
      this.byController.set(controller, handlers);
    }
    if (!handlers.has(handler)) {
      handlers.set(handler, this.reflector.getAllAndOverride<T>(this.key, [handler, controller]));
    }
    return handlers.get(handler);
  }
}
