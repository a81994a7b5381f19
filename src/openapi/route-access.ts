import { INestApplication, Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { ADMIN_SCOPE } from '../admin/admin-access';
import { IS_PUBLIC, READS_SESSION } from '../platform/http/public.decorator';

/**
 * Who may call a route, as the global guards decide it: `public` (no session needed),
 * `optional-session` (public, but a session changes what it does), `session` (the default: the
 * SessionGuard), `admin` (@AdminAccess: an admin's session or an API key).
 */
export type Access = 'public' | 'optional-session' | 'session' | 'admin';

/**
 * The access of each operation of the OpenAPI document, read from the metadata the guards read,
 * so the document's security cannot differ from what is enforced. `operationId` is given to
 * SwaggerModule as its operationIdFactory: it names the operation as Nest would and notes its access.
 */
export class RouteAccess {
  private readonly controllers = new Map<string, Type>();
  private readonly reflector = new Reflector();
  private readonly byOperation = new Map<string, Access>();

  constructor(app: INestApplication) {
    for (const module of app.get(ModulesContainer).values()) {
      for (const { metatype } of module.controllers.values()) {
        if (metatype) this.controllers.set(metatype.name, metatype as Type);
      }
    }
  }

  readonly operationId = (controllerKey: string, methodKey: string): string => {
    const id = `${controllerKey}_${methodKey}`;
    const controller = this.controllers.get(controllerKey);
    // A route with several paths is named `method[index]`.
    const name = methodKey.replace(/\[\d+\]$/, '');
    const handler = (controller?.prototype as Record<string, unknown> | undefined)?.[name];
    if (controller && typeof handler === 'function') {
      this.byOperation.set(id, this.accessOf(handler, controller));
    }
    return id;
  };

  of(operationId: string | undefined): Access {
    const access = operationId === undefined ? undefined : this.byOperation.get(operationId);
    if (access === undefined) throw new Error(`No access known for operation ${operationId}`);
    return access;
  }

  private accessOf(handler: unknown, controller: Type): Access {
    const targets = [handler as Type, controller];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      return this.reflector.getAllAndOverride<boolean>(READS_SESSION, targets)
        ? 'optional-session'
        : 'public';
    }
    return this.reflector.getAllAndOverride(ADMIN_SCOPE, targets) === undefined
      ? 'session'
      : 'admin';
  }
}
