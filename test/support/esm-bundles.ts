import { build } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * ESM-only packages, repackaged as CommonJS for jest. Node (20.19+) loads them with require() as
 * they are, which is how the service runs; jest's own module system cannot (on Node before 24.9),
 * so jest.config.js maps each name to the bundle made here from the installed package: the same
 * code, in one CommonJS file.
 */
export const ESM_PACKAGES = ['oidc-provider', 'openid-client'];

export const bundlePath = (name: string) =>
  join(__dirname, '..', '..', 'test-output', 'esm', `${name}.cjs`);

export default async function bundleEsmPackages(): Promise<void> {
  for (const name of ESM_PACKAGES) {
    const { version } = JSON.parse(
      readFileSync(require.resolve(`${name}/package.json`), 'utf8'),
    ) as { version: string };
    const outfile = bundlePath(name);
    const marker = `${outfile}.version`;
    if (existsSync(outfile) && existsSync(marker) && readFileSync(marker, 'utf8') === version) {
      continue;
    }
    await build({
      entryPoints: [require.resolve(name)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'warning',
    });
    writeFileSync(marker, version);
  }
}
