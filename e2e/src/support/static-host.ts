import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** A plain static file server, as a CDN or any web host would be: files of one directory, nothing else. */
export interface StaticHost {
  /** `http://localhost:<port>`: an origin of its own. */
  readonly url: string;
  /** The paths asked for, in order. */
  readonly requested: string[];
  close(): Promise<void>;
}

/**
 * Serves the files under `dir` with a content type by extension and `Access-Control-Allow-Origin: *`
 * (what docs/WIDGET.md asks of a host). Paths that leave `dir` or name no file are 404.
 */
export async function serveDirectory(dir: string): Promise<StaticHost> {
  const requested: string[] = [];
  const root = path.resolve(dir);
  const server: Server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://host').pathname);
    requested.push(pathname);
    const file = path.resolve(root, `.${pathname}`);
    if (!file.startsWith(`${root}${path.sep}`)) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) =>
        response
          .writeHead(200, {
            'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
            'access-control-allow-origin': '*',
          })
          .end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    requested,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
