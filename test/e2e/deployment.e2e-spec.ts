import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { AppConfig } from '../../src/platform/config/app-config';
import { configurationVariables, readConfiguration } from '../../src/configuration';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  env_file?: (string | { path: string })[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

/** The variables an env file sets, commented-out ones included (`# NAME=`). */
function variablesIn(text: string): string[] {
  return [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name);
}

/**
 * docker-compose.yml, deploy/nginx.conf and deploy/secrets.env.example, read as files (there is no
 * Docker engine in the test environment): two instances behind nginx, sharing every secret.
 */
describe('deployment: docker-compose.yml with two instances behind nginx', () => {
  // Compose files share settings through YAML merge keys (`<<: *accounts`).
  const compose = load(read('docker-compose.yml'), {
    schema: CORE_SCHEMA.withTags(mergeTag),
  }) as { services: Record<string, Service> };
  const instances = ['accounts-1', 'accounts-2'].map((name) => compose.services[name]);
  const nginxConf = read('deploy/nginx.conf');
  const secretsExample = read('deploy/secrets.env.example');
  /** Every secret of the configuration: the instances must agree on each. */
  const sharedSecrets = configurationVariables().filter((key) =>
    /^[A-Z0-9_]+_(SECRET|TOKEN)$/.test(key),
  );

  it('runs two instances of one image with the same settings', () => {
    for (const instance of instances) expect(instance).toBeDefined();
    const [first, second] = instances;
    expect(second).toEqual(first);
    expect(first.image).toEqual(expect.any(String));
    expect(first.environment).toMatchObject({
      NODE_ENV: 'production',
      TRUST_PROXY: '1',
      MONGODB_URI: expect.stringMatching(/^mongodb:\/\/mongo:27017\/accounts\?replicaSet=rs0$/),
    });
    expect(first.depends_on?.mongo).toEqual({ condition: 'service_healthy' });
  });

  it('gives both instances every shared secret from one file, and none inline', () => {
    expect(sharedSecrets).toEqual(
      expect.arrayContaining(['CSRF_SECRET', 'OIDC_KEY_SECRET', 'METRICS_TOKEN']),
    );
    for (const instance of instances) {
      expect(instance.env_file).toEqual(['deploy/secrets.env']);
      for (const secret of sharedSecrets) expect(instance.environment).not.toHaveProperty(secret);
    }
    expect(variablesIn(secretsExample)).toEqual(expect.arrayContaining(sharedSecrets));
    expect(read('.gitignore')).toMatch(/^deploy\/secrets\.env$/m);
    expect(read('.dockerignore')).toMatch(/^deploy\/secrets\.env$/m);
  });

  it('makes secrets the service accepts in production with deploy/make-secrets.sh', () => {
    const directory = mkdtempSync(join(tmpdir(), 'deploy-'));
    copyFileSync(join(root, 'deploy', 'make-secrets.sh'), join(directory, 'make-secrets.sh'));
    execFileSync('sh', [join(directory, 'make-secrets.sh')], { stdio: 'ignore' });
    const written = readFileSync(join(directory, 'secrets.env'), 'utf8');
    const values = Object.fromEntries(
      [...written.matchAll(/^([A-Z_]+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
    );
    expect(Object.keys(values).sort()).toEqual([...sharedSecrets].sort());
    const [first] = instances;
    const { app: config } = readConfiguration({
      ...first.environment,
      ...values,
      OIDC_CLIENTS: JSON.stringify([
        { client_id: 'notes', redirect_uris: ['http://notes.example.test/callback'] },
      ]),
    });
    expect(config.CSRF_SECRET).toBe(values.CSRF_SECRET);
    // A second run never replaces the secrets (the stored signing keys depend on them).
    expect(() =>
      execFileSync('sh', [join(directory, 'make-secrets.sh')], { stdio: 'ignore' }),
    ).toThrow();
    expect(readFileSync(join(directory, 'secrets.env'), 'utf8')).toBe(written);
  });

  it('publishes only nginx, at the PUBLIC_URL both instances announce', () => {
    const nginx = compose.services.nginx;
    expect(nginx.ports).toEqual(['3000:80']);
    for (const instance of instances) {
      expect(instance.ports).toBeUndefined();
      expect(instance.environment?.PUBLIC_URL).toBe('http://localhost:3000');
    }
    expect(nginx.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(nginx.depends_on).toEqual({
      'accounts-1': { condition: 'service_healthy' },
      'accounts-2': { condition: 'service_healthy' },
    });
  });

  it('has nginx proxy to both instances, with the client address the instances trust', () => {
    const upstream = /upstream (\w+) \{([^}]*)\}/.exec(nginxConf);
    expect(upstream).not.toBeNull();
    const [, name, body] = upstream!;
    const servers = [...body.matchAll(/^\s*server ([\w.-]+):(\d+)/gm)].map(([, host, port]) => [
      host,
      port,
    ]);
    const port = String(new AppConfig().PORT);
    expect(servers).toEqual([
      ['accounts-1', port],
      ['accounts-2', port],
    ]);
    expect(nginxConf).toContain(`proxy_pass http://${name};`);
    expect(nginxConf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(nginxConf).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    // No upstream keep-alive: a stopping instance is never sent a request on a closing connection.
    expect(nginxConf).not.toMatch(/^\s*keepalive\s/m);
  });

  it('gives a stopping instance longer than SHUTDOWN_GRACE_SECONDS before it is killed', () => {
    for (const instance of instances) {
      const grace = Number(instance.environment?.SHUTDOWN_GRACE_SECONDS);
      expect(grace).toBeGreaterThan(0);
      expect(Number(/^(\d+)s$/.exec(instance.stop_grace_period ?? '')?.[1])).toBeGreaterThan(grace);
    }
  });
});
