import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A customer's website on an origin of its own: fixed pages, served as they are. */
export interface Site {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `pages` (path → HTML) on 127.0.0.1 at a free port; anything else is 404. */
export async function serveSite(pages: Record<string, string>): Promise<Site> {
  const server: Server = createServer((request, response) => {
    const page = pages[request.url ?? ''];
    if (page === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // localhost, not 127.0.0.1 as the installation: another site, so no cookie of one reaches the other.
    url: `http://localhost:${port}`,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
