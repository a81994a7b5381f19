import { posix } from 'node:path';

/** The files a check may look at, by path from the repository's root ('README.md', 'docs/api.md'). */
export interface DocsTree {
  exists(path: string): boolean;
  /** The text of a Markdown file; only called for paths that exist. */
  read(path: string): string;
}

/** A problem, as `file:line: what`. */
export type Problem = string;

/**
 * Paths in inline code that name files of the repository. deploy/ is left out: it names
 * deploy/secrets.env, which each operator makes (git-ignored).
 */
const REPOSITORY_PATH = /^(?:src|test|scripts|views|public|bench|\.ci)\/[\w./-]*$/;

interface Line {
  number: number;
  text: string;
}

/** The lines outside fenced code blocks, whose content is not Markdown. */
function proseLines(markdown: string): Line[] {
  const lines: Line[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined && marker !== undefined) fence = marker[0];
    else if (fence !== undefined && marker !== undefined && marker[0] === fence) fence = undefined;
    else if (fence === undefined) lines.push({ number: index + 1, text });
  });
  return lines;
}

/** The anchor GitHub gives a heading: its text lower-cased, punctuation dropped, spaces as '-'. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, '')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a page; a repeated heading gets '-1', '-2' … as on GitHub. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function withoutCodeSpans(text: string): string {
  return text.replace(/`[^`]*`/g, '');
}

/** Every link of a page that stays in the repository: `[text](target)`, with its line. */
function localLinksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const { number, text } of proseLines(markdown)) {
    for (const match of withoutCodeSpans(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1];
      // Other sites (https:, mailto:) are not ours to check.
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('//')) {
        links.push({ line: number, target });
      }
    }
  }
  return links;
}

/** The repository paths a page names in inline code (`src/users/profile-data.ts`). */
function codePathsOf(markdown: string): { line: number; path: string }[] {
  const paths: { line: number; path: string }[] = [];
  for (const { number, text } of proseLines(markdown)) {
    for (const match of text.matchAll(/`([^`]+)`/g)) {
      if (REPOSITORY_PATH.test(match[1])) paths.push({ line: number, path: match[1] });
    }
  }
  return paths;
}

/**
 * What is broken in `pages`: links to files that do not exist, anchors that are no heading of
 * their page, and repository paths in inline code that do not exist.
 */
export function brokenLinks(tree: DocsTree, pages: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const anchors = new Map<string, Set<string>>();
  const anchorsOfPage = (path: string): Set<string> => {
    let found = anchors.get(path);
    if (found === undefined) anchors.set(path, (found = anchorsOf(tree.read(path))));
    return found;
  };
  for (const page of pages) {
    const markdown = tree.read(page);
    for (const { line, target } of localLinksOf(markdown)) {
      const [file, anchor] = target.split('#', 2);
      const path = file === '' ? page : posix.normalize(posix.join(posix.dirname(page), file));
      const where = `${page}:${line}: ${target}`;
      if (path.startsWith('../') || !tree.exists(path)) {
        problems.push(`${where}: ${path} does not exist`);
      } else if (anchor !== undefined && !path.endsWith('.md')) {
        problems.push(`${where}: an anchor in a file that is not Markdown`);
      } else if (anchor !== undefined && !anchorsOfPage(path).has(anchor)) {
        problems.push(`${where}: ${path} has no heading #${anchor}`);
      }
    }
    for (const { line, path } of codePathsOf(markdown)) {
      if (!tree.exists(path.replace(/\/$/, ''))) {
        problems.push(`${page}:${line}: ${path} does not exist`);
      }
    }
  }
  return problems;
}
