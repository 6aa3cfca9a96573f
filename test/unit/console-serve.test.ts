import { describe, expect, it } from 'vitest';
import { consoleHandler } from '../../console/serve.js';

const serve = consoleHandler({ js: 'console.log("app")', css: 'body{margin:0}' });
const get = (rawPath: string) => serve({ rawPath, requestContext: { http: { method: 'GET' } } });

async function page(rawPath = '/console/') {
  const response = await get(rawPath);
  const js = /src="([^"]+)"/.exec(response.body)?.[1] ?? '';
  const css = /rel="stylesheet" href="([^"]+)"/.exec(response.body)?.[1] ?? '';
  return { response, js, css };
}

describe('the console function', () => {
  it('serves the page at /console and /console/, never cached, with a strict CSP', async () => {
    for (const path of ['/console', '/console/', '/console/index.html']) {
      const { response } = await page(path);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.body).toContain('<div id="app"></div>');
    }
  });

  it('serves the script and the style it names, by content, cached for a year', async () => {
    const { js, css } = await page();
    expect(js).toMatch(/^\/console\/app\.[0-9a-f]{12}\.js$/);
    expect(css).toMatch(/^\/console\/app\.[0-9a-f]{12}\.css$/);
    const script = await get(js);
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log("app")');
    const style = await get(css);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(style.body).toBe('body{margin:0}');
  });

  it('names the files anew when their content changes', async () => {
    const other = consoleHandler({ js: 'console.log("v2")', css: 'body{margin:0}' });
    const body = (await other({ rawPath: '/console/' })).body;
    const { js, css } = await page();
    expect(body).not.toContain(js);
    expect(body).toContain(css);
  });

  it('keeps a stage prefix in the files it names', async () => {
    const { js } = await page('/prod/console/');
    expect(js).toMatch(/^\/prod\/console\/app\./);
    expect((await get(js)).statusCode).toBe(200);
  });

  it("serves the API's OpenAPI document at /openapi.json, after a stage's prefix too, and nowhere else", async () => {
    const withDocument = consoleHandler({ js: 'x', css: 'y', openapi: '{"openapi":"3.1.0"}' });
    for (const rawPath of ['/openapi.json', '/prod/openapi.json']) {
      const response = await withDocument({ rawPath });
      expect(response.statusCode, rawPath).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response.body)).toEqual({ openapi: '3.1.0' });
    }
    for (const rawPath of ['/console/openapi.json', '/a/b/openapi.json', '/openapi.jsonx']) {
      expect((await withDocument({ rawPath })).statusCode, rawPath).toBe(404);
    }
    expect((await get('/openapi.json')).statusCode).toBe(404);
  });

  it('answers 404 for any other file', async () => {
    for (const path of [
      '/console/app.js',
      '/console/nope.css',
      '/console/a/b',
      '/console/app.000000000000.js',
    ]) {
      const response = await get(path);
      expect(response.statusCode, path).toBe(404);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
  });
});
