import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { CROSS_SITE_ALLOWED } from '../platform/http/cross-site-request.guard';
import { CsrfGuard } from './csrf.guard';
import { WebModule } from './web.module';

type Handler = (...args: unknown[]) => unknown;

/** Every route of the pages' controllers: its method and its guards, in running order. */
function pageRoutes() {
  const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, WebModule) as (new (
    ...args: never[]
  ) => object)[];
  return controllers.flatMap((controller) => {
    const prototype = controller.prototype as Record<string, Handler>;
    return Object.getOwnPropertyNames(prototype)
      .map((name) => prototype[name])
      .filter((handler) => Reflect.hasMetadata(METHOD_METADATA, handler))
      .map((handler) => ({
        route: `${controller.name}.${handler.name}`,
        method: Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod,
        guards: (Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as unknown[],
        crossSite: Reflect.getMetadata(CROSS_SITE_ALLOWED, handler) === true,
      }));
  });
}

describe('the pages’ CSRF check', () => {
  const routes = pageRoutes();

  it('finds the pages’ routes', () => {
    expect(routes.filter(({ method }) => method === RequestMethod.POST).length).toBeGreaterThan(10);
  });

  // As the check at the start of each handler was: a post without its token still counts toward
  // the sign-in throttle, and an old session is asked to confirm it's you first.
  const posts = routes.filter(({ method }) => method === RequestMethod.POST);
  it.each(posts.filter(({ crossSite }) => !crossSite).map((r) => [r.route, r]))(
    '%s checks the form token, after the route’s other guards',
    (_route, { guards }) => {
      expect(guards.at(-1)).toBe(CsrfGuard);
      expect(guards.filter((guard) => guard === CsrfGuard)).toHaveLength(1);
    },
  );

  // An app's own page posts there from its site (RP-initiated logout): it carries no token of
  // ours, so the route may change nothing (it answers with a redirect to the GET).
  it('lets only the app-facing logout post skip the token', () => {
    expect(posts.filter(({ crossSite }) => crossSite).map(({ route }) => route)).toEqual([
      'OAuthLogoutController.logoutByPost',
    ]);
  });

  it('asks no token of a page that is only shown (GET)', () => {
    const shown = routes.filter(({ method }) => method === RequestMethod.GET);
    expect(shown.length).toBeGreaterThan(5);
    for (const { guards } of shown) expect(guards).not.toContain(CsrfGuard);
  });
});
