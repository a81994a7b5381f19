import type { CookieOptions, Request, Response } from 'express';
import { noticeText } from './messages';

const FLASH_COOKIE = 'flash';

/** Secure when the session cookie is (PUBLIC_URL is https), like every cookie of the service. */
function flashCookie(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure };
}

/** A one-time confirmation for the next page (post/redirect/get); only known codes are shown. */
export function setFlash(response: Response, code: string, secure: boolean): void {
  response.cookie(FLASH_COOKIE, code, { ...flashCookie(secure), maxAge: 60_000 });
}

/** The confirmation waiting for this page, from the flash cookie or a `?notice=` code; cleared. */
export function takeFlash(
  request: Request,
  response: Response,
  secure: boolean,
): string | undefined {
  const cookies = request.cookies as Record<string, unknown> | undefined;
  const code = cookies?.[FLASH_COOKIE];
  if (code !== undefined) response.clearCookie(FLASH_COOKIE, flashCookie(secure));
  return noticeText(code) ?? noticeText(request.query.notice);
}
