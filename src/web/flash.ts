import type { Request, Response } from 'express';
import { noticeText } from './messages';

const FLASH_COOKIE = 'flash';

/** A one-time confirmation for the next page (post/redirect/get); only known codes are shown. */
export function setFlash(response: Response, code: string): void {
  response.cookie(FLASH_COOKIE, code, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: 60_000,
  });
}

/** The confirmation waiting for this page, from the flash cookie or a `?notice=` code; cleared. */
export function takeFlash(request: Request, response: Response): string | undefined {
  const cookies = request.cookies as Record<string, unknown> | undefined;
  const code = cookies?.[FLASH_COOKIE];
  if (code !== undefined) response.clearCookie(FLASH_COOKIE, { path: '/' });
  return noticeText(code) ?? noticeText(request.query.notice);
}
