import type { Request, Response } from 'express';

/** What the HTML error page says. */
export interface ErrorPage {
  title: string;
  status: number;
  message: string;
  /** The database is unreachable: the page cannot look up who is signed in, and does not try. */
  withoutDatabase?: boolean;
}

/**
 * Renders error pages in the pages' own frame (who is signed in, links under PUBLIC_URL's path).
 * The web module provides it; without it the exception filter renders the bare error view.
 */
export abstract class ErrorPages {
  abstract renderError(request: Request, response: Response, page: ErrorPage): Promise<void>;
}
