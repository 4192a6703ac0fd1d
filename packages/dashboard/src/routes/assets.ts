import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

/**
 * Files the page loads, served from the package itself (the dashboard may run with no network,
 * and a CDN would be a third party in its CSP): the page's own script and styles from the
 * package's assets/ folder (beside src/ and dist/ alike), and uPlot from its npm package.
 */
const ASSETS: ReadonlyMap<string, { readonly url: string; readonly type: string }> = new Map(
  Object.entries({
    'dashboard.js': { url: new URL('../../assets/dashboard.js', import.meta.url).href, type: 'text/javascript' },
    'dashboard.css': { url: new URL('../../assets/dashboard.css', import.meta.url).href, type: 'text/css' },
    'uplot.js': { url: import.meta.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
    'uplot.css': { url: import.meta.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
  }),
);

export function assetRoutes(): Router {
  const router = Router();
  const loaded = new Map<string, Promise<Buffer>>();
  router.get('/assets/:name', async (req, res, next) => {
    const asset = ASSETS.get(req.params.name);
    if (asset === undefined) return next();
    let body = loaded.get(req.params.name);
    if (body === undefined) {
      body = readFile(fileURLToPath(asset.url));
      loaded.set(req.params.name, body);
    }
    res
      .type(asset.type)
      .set('cache-control', 'no-cache')
      .send(await body);
  });
  return router;
}
