import { createHash } from 'node:crypto';

/**
 * Serves the console's embedded files: no dependencies on lib/, so that the function that carries it
 * stays small. The page needs no credentials (the API calls it makes carry them); the shell is never
 * cached, the script and the style are named by their content and cached for a year.
 */

/** `openapi`: the API's OpenAPI document (openapi.json), served at `/openapi.json` beside the console. */
export type ConsoleAssets = { js: string; css: string; openapi?: string };
export type ConsoleRequest = { rawPath: string; requestContext?: { http?: { method?: string } } };
export type ConsoleResponse = { statusCode: number; headers: Record<string, string>; body: string };

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

function page(js: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<link rel="icon" href="data:,">
<title>GES backup console</title>
<link rel="stylesheet" href="${css}">
<script type="module" src="${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`;
}

export function consoleHandler(assets: ConsoleAssets) {
  const jsName = `app.${hash(assets.js)}.js`;
  const cssName = `app.${hash(assets.css)}.css`;
  const immutable = 'public, max-age=31536000, immutable';
  const files: Record<string, { type: string; body: string; cache: string }> = {
    [jsName]: { type: 'text/javascript; charset=utf-8', body: assets.js, cache: immutable },
    [cssName]: { type: 'text/css; charset=utf-8', body: assets.css, cache: immutable },
  };

  return async (event: ConsoleRequest): Promise<ConsoleResponse> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath;
    const at = path.indexOf('/console');
    // Everything up to /console: a stage's prefix, if the API has one.
    const root = at < 0 ? '/console' : path.slice(0, at + '/console'.length);
    const rest = at < 0 ? undefined : path.slice(at + '/console'.length);
    // The API's document, at /openapi.json (after a stage's prefix, if any).
    const openapi =
      at < 0 && assets.openapi !== undefined && /^(\/[^/]+)?\/openapi\.json$/.test(path)
        ? { type: 'application/json', body: assets.openapi, cache: 'no-cache' }
        : undefined;
    // The page, at /console and /console/ alike (serverless-offline hands both over as /console), its
    // files named absolutely so that either works.
    const file =
      openapi ??
      (rest === '' || rest === '/' || rest === '/index.html'
        ? {
            type: 'text/html; charset=utf-8',
            body: page(`${root}/${jsName}`, `${root}/${cssName}`),
            cache: 'no-cache',
          }
        : rest?.startsWith('/')
          ? files[rest.slice(1)]
          : undefined);
    if (!file) {
      return {
        statusCode: 404,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-cache',
          ...SECURITY_HEADERS,
        },
        body: 'Not found',
      };
    }
    return {
      statusCode: 200,
      headers: { 'content-type': file.type, 'cache-control': file.cache, ...SECURITY_HEADERS },
      body: method === 'HEAD' ? '' : file.body,
    };
  };
}
