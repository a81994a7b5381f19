import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import hbs from 'hbs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameRoute } from '../platform/metrics/route-label';

/** The routes that render pages and take HTML forms. */
export const PAGE_PATHS = [
  '/login',
  '/register',
  '/logout',
  '/settings',
  '/verify-email',
  '/cancel-email-change',
  '/forgot-password',
  '/reset-password',
  '/device',
  // The consent page of an app of another party (ConsentPageController).
  '/oauth2/interaction',
  // An app's sign-out (RP-initiated logout): its form post, and the confirmation page's.
  '/oauth2/logout',
];

/**
 * The pages that run the service's passkey script (public/passkeys.js), and their sub-paths: the
 * only answers whose policy lets a script run, and only the service's own files.
 */
export const SCRIPTED_PAGE_PATHS = ['/login', '/register', '/settings'];

/** Handlebars views from views/ (layout.hbs wraps them), partials, and the stylesheet under /assets. */
export function configureViews(app: NestExpressApplication, root: string): void {
  const views = join(root, 'views');
  const partials = join(views, 'partials');
  // Registered synchronously, so the first request already has them.
  for (const file of readdirSync(partials).filter((name) => name.endsWith('.hbs'))) {
    hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(partials, file), 'utf8'));
  }
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  app.setBaseViewsDir(views);
  app.setViewEngine('hbs');
  app.use('/assets', (_request: Request, response: Response, next: NextFunction) => {
    nameRoute(response, '/assets/*');
    next();
  });
  app.useStaticAssets(join(root, 'public'), { prefix: '/assets/', maxAge: '1h' });
}
