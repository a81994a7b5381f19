import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { anchorsOf, brokenLinks, DocsTree, githubSlug } from './markdown-links';

const root = resolve(__dirname, '../..');
const repository: DocsTree = {
  exists: (path) => existsSync(join(root, path)),
  read: (path) => readFileSync(join(root, path), 'utf8'),
};
const docsPages = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);

/** A tree held in memory, for checking the check. */
function treeOf(files: Record<string, string>): DocsTree {
  return {
    exists: (path) =>
      path in files || Object.keys(files).some((file) => file.startsWith(`${path}/`)),
    read: (path) => files[path],
  };
}

describe('the documentation', () => {
  it('has no broken link, anchor or repository path in README.md and docs/', () => {
    expect(brokenLinks(repository, ['README.md', ...docsPages])).toEqual([]);
  });

  it('links every page of docs/ from the README', () => {
    const readme = repository.read('README.md');
    const unlinked = docsPages.filter((page) => !readme.includes(`](${page})`));
    expect(unlinked).toEqual([]);
  });

  it("keeps the README's two commands as fenced blocks (CI runs the test command)", () => {
    const readme = repository.read('README.md');
    expect(readme).toContain('```sh\nnpm install && npm start\n```');
    expect(readme).toContain('```sh\nnpm ci && npm test\n```');
  });
});

describe('the link check', () => {
  it('makes anchors as GitHub does', () => {
    expect(githubSlug('Email: verification, recovery and notices')).toBe(
      'email-verification-recovery-and-notices',
    );
    expect(githubSlug('`users`: one document per account')).toBe('users-one-document-per-account');
    expect(githubSlug('Searching, and what it costs')).toBe('searching-and-what-it-costs');
    expect(githubSlug('The never-lock-out rule (and `max_age`)')).toBe(
      'the-never-lock-out-rule-and-max_age',
    );
    expect([...anchorsOf('# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n')]).toEqual([
      'notes',
      'notes-1',
    ]);
  });

  it('reports a missing file, a missing anchor and a missing repository path', () => {
    const tree = treeOf({
      'README.md': [
        '# Service',
        'See [the API](docs/api.md#routes), [setup](docs/setup.md) and [here](#service).',
        'Code in `src/users/users.repository.ts` and `src/gone.ts`, on [GitHub](https://github.com).',
        '```sh',
        'echo [not a link](nowhere.md) `src/not-checked.ts`',
        '```',
      ].join('\n'),
      'docs/api.md': '# API\n\n## Errors\n\nBack to [the README](../README.md#services).\n',
      'src/users/users.repository.ts': '',
    });
    expect(brokenLinks(tree, ['README.md', 'docs/api.md'])).toEqual([
      'README.md:2: docs/api.md#routes: docs/api.md has no heading #routes',
      'README.md:2: docs/setup.md: docs/setup.md does not exist',
      'README.md:3: src/gone.ts does not exist',
      'docs/api.md:5: ../README.md#services: README.md has no heading #services',
    ]);
  });

  it('accepts links that resolve', () => {
    const tree = treeOf({
      'README.md': 'See [errors](docs/api.md#errors), [`docs/`](docs) and [code](src/main.ts).\n',
      'docs/api.md': '# API\n\n## Errors\n\nBack to [the README](../README.md), [top](#api).\n',
      'src/main.ts': '',
    });
    expect(brokenLinks(tree, ['README.md', 'docs/api.md'])).toEqual([]);
  });
});
