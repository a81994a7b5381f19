import express, { type Request, type Response } from 'express';
import { BODY_LIMIT } from '../platform/http/body-parsers';

const readForm = express.text({ type: 'application/x-www-form-urlencoded', limit: BODY_LIMIT });

/**
 * `POST /oauth2/authorize` with a form body (OpenID Connect Core 3.1.2.1: an authorization server
 * MUST take POST too), answered with a 303 to the same request as a GET, which the provider then
 * answers as any other.
 *
 * Why not oidc-provider's own POST (`enableHttpPostMethods`): an app's form posts from another
 * site, and a cross-site POST carries no SameSite=Lax cookie, so neither this service's session
 * nor the provider's would be seen there (the library demands SameSite=None for it, which would
 * weaken every other request). The 303 makes the browser ask again as a top-level GET, which does
 * carry them. The spec asks that both methods be taken with the same parameters and meaning, not
 * that the answer comes from the POST itself; the parameters end up in the address as with any
 * GET request (a pushed request, PAR, keeps them out of it).
 */
export function answerAuthorizationByPost(
  request: Request,
  response: Response,
  authorizationPath: string,
): void {
  const refuse = (status: number, description: string) =>
    response.status(status).json({ error: 'invalid_request', error_description: description });
  if (!request.is('application/x-www-form-urlencoded')) {
    refuse(400, 'POST takes the parameters as a form body (application/x-www-form-urlencoded).');
    return;
  }
  if (request.url.includes('?')) {
    refuse(400, 'POST takes the parameters in the form body only, not in the query.');
    return;
  }
  readForm(request, response, (error?: unknown) => {
    if (error !== undefined) {
      const tooLarge = (error as { status?: number }).status === 413;
      refuse(
        tooLarge ? 413 : 400,
        tooLarge ? 'The form is too large.' : 'The form cannot be read.',
      );
      return;
    }
    // Duplicated parameters stay duplicated: the GET refuses them as it refuses them in a query.
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
    response.redirect(303, `${authorizationPath}?${form.toString()}`);
  });
}
