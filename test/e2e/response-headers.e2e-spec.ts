import request from 'supertest';
import { register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

/** A Content-Security-Policy header as { directive: [values] }. */
function policy(response: request.Response): Record<string, string[]> {
  const header = response.headers['content-security-policy'] as string | undefined;
  if (!header) throw new Error(`No CSP on ${response.request.url}`);
  return Object.fromEntries(
    header.split(';').map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('response headers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { GOOGLE_CLIENT_ID: 'g-id', GOOGLE_CLIENT_SECRET: 'g-secret' },
    });
  });
  afterAll(() => t.close());

  describe('Cache-Control: no-store', () => {
    it('is on an authenticated API answer', async () => {
      const { cookie } = await register(t.http);
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.headers['cache-control']).toBe('no-store');
    });

    it('is on a page', async () => {
      const { cookie } = await register(t.http);
      const page = await request(t.http).get('/settings').set('Cookie', cookie).expect(200);
      expect(page.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['401', () => request(t.http).get('/me').expect(401)],
      ['404', () => request(t.http).get('/no/such/route').expect(404)],
      [
        'a body parser 400',
        () =>
          request(t.http)
            .post('/auth/login')
            .set('Content-Type', 'application/json')
            .send('{')
            .expect(400),
      ],
    ])('is on an error (%s)', async (_case, send) => {
      expect((await send()).headers['cache-control']).toBe('no-store');
    });

    it('is not on the stylesheet or the Swagger UI files, which caches may keep', async () => {
      const stylesheet = await request(t.http).get('/assets/styles.css').expect(200);
      expect(stylesheet.headers['cache-control']).toBe('public, max-age=3600');
      const bundle = await request(t.http).get('/docs/swagger-ui-bundle.js').expect(200);
      expect(bundle.headers['cache-control']).not.toContain('no-store');
    });
  });

  describe('ETag', () => {
    it('is not on answers no cache keeps, which nobody can revalidate', async () => {
      const { cookie } = await register(t.http);
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.headers.etag).toBeUndefined();
      const page = await request(t.http).get('/settings').set('Cookie', cookie).expect(200);
      expect(page.headers.etag).toBeUndefined();
    });

    it('is on the static files, which answer a revalidation with 304', async () => {
      const stylesheet = await request(t.http).get('/assets/styles.css').expect(200);
      expect(stylesheet.headers.etag).toEqual(expect.any(String));
      await request(t.http)
        .get('/assets/styles.css')
        .set('If-None-Match', stylesheet.headers.etag)
        .expect(304);
    });
  });

  describe("helmet's other headers", () => {
    const expected = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'same-origin',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'SAMEORIGIN',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };

    it.each([
      ['a page', () => request(t.http).get('/login').expect(200)],
      ['an API answer', () => request(t.http).get('/health/live').expect(200)],
      ['an error', () => request(t.http).get('/me').expect(401)],
      ['a route that does not exist', () => request(t.http).get('/no/such/route').expect(404)],
      ['the stylesheet', () => request(t.http).get('/assets/styles.css').expect(200)],
      ['Swagger UI', () => request(t.http).get('/docs').expect(200)],
    ])('are all on %s, and X-Powered-By is not', async (_case, send) => {
      const { headers } = await send();
      expect(headers).toMatchObject(expected);
      expect(headers).not.toHaveProperty('x-powered-by');
    });
  });

  describe('Content-Security-Policy', () => {
    it("allows the pages the service's own script only, and nothing from https: at large", async () => {
      const page = await request(t.http).get('/login').expect(200);
      const csp = policy(page);
      // The passkey script, a file of the service: no inline script, no eval, no other origin.
      expect(csp['script-src']).toEqual(["'self'"]);
      expect(csp['style-src']).toEqual(["'self'"]);
      expect(csp['font-src']).toEqual(["'self'"]);
      expect(csp['default-src']).toEqual(["'self'"]);
      expect(csp['form-action']).toEqual(["'self'", 'https://accounts.google.com']);
      expect(Object.values(csp).flat()).not.toContain('https:');
    });

    it('allows the script on the pages that run it only, and none on API answers and errors', async () => {
      for (const path of ['/register', '/settings', '/settings/confirm']) {
        const page = await request(t.http).get(path);
        expect([path, policy(page)['script-src']]).toEqual([path, ["'self'"]]);
      }
      const error = await request(t.http).get('/me').expect(401);
      expect(policy(error)['script-src']).toEqual(["'none'"]);
      for (const path of ['/', '/forgot-password', '/health/live', '/login-elsewhere']) {
        const answer = await request(t.http).get(path);
        expect([path, policy(answer)['script-src']]).toEqual([path, ["'none'"]]);
      }
    });

    it('gives Swagger UI a policy of its own, which lets every file it references load', async () => {
      const html = await request(t.http).get('/docs').expect(200);
      expect(html.headers['content-type']).toMatch(/text\/html/);
      const docsPolicy = {
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
      };
      expect(policy(html)).toMatchObject(docsPolicy);
      expect(Object.values(policy(html)).flat()).not.toContain('https:');

      // Every script, stylesheet and icon the page names: served, same origin, same policy.
      const references = [...html.text.matchAll(/(?:src|href)=['"]([^'"]+)['"]/g)]
        .map(([, url]) => url)
        .filter((url) => !url.startsWith('#') && !url.startsWith('http'));
      expect(references).toEqual(
        expect.arrayContaining(['./docs/swagger-ui-bundle.js', './docs/swagger-ui-init.js']),
      );
      for (const reference of references) {
        const path = new URL(reference, 'http://service.test/docs').pathname;
        const file = await request(t.http).get(path);
        expect({ path, status: file.status }).toEqual({ path, status: 200 });
        expect(policy(file)).toMatchObject(docsPolicy);
      }
    });
  });
});
