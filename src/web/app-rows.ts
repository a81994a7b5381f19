import type { AppView } from '../openid/apps/app.view';
import { scopeWords } from './app-access-words';
import { type PageTime, pageTime } from './session-rows';

/** An app with access, as the settings page lists it. */
export interface AppRow {
  clientId: string;
  name: string;
  /** What it may see or do, in plain words. */
  mays: string[];
  grantedAt: PageTime;
  lastUsedAt: PageTime | null;
}

/** The apps of GET /me/apps in words. */
export function appRows(apps: AppView[]): AppRow[] {
  return apps.map((app) => ({
    clientId: app.clientId,
    name: app.name,
    mays: app.scopes.map((scope) => scopeWords(scope)),
    grantedAt: pageTime(app.grantedAt),
    lastUsedAt: app.lastUsedAt && pageTime(app.lastUsedAt),
  }));
}
