import { readFileSync } from 'node:fs';
import { projectPath } from '../paths.js';

let page: string | undefined;

/**
 * docs/errors.md as a web page, so that a problem's `type` (`/docs/errors#<code>`) opens the row
 * that explains it. Rendered once, on first use (marked is loaded then, not at start).
 */
export async function errorsPage(): Promise<string> {
  if (page === undefined) {
    const { marked } = await import('marked');
    const markdown = readFileSync(projectPath('docs/errors.md'), 'utf8');
    const body = marked.parse(markdown, { async: false });
    page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>RefundDesk — errors</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}
tr:target{background:#fff6cc}</style></head><body>${body}</body></html>`;
  }
  return page;
}
