import type { WidgetConfig } from '@plauder/protocol';
import type { WidgetBuild } from './widget-build.js';

/**
 * The chat window's page for one widget, served from the chat origin into the loader's iframe. It
 * carries the widget's public configuration (so the window needs no second request) and loads the
 * content-named script and style. The config is JSON inside a data block, with `<` escaped so no
 * text of the settings can close the element.
 */
export function windowPageHtml(config: WidgetConfig, build: WidgetBuild): string {
  const data = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat</title>
<link rel="stylesheet" href="../assets/${build.window.style}">
<script id="plauder-config" type="application/json">${data}</script>
<script defer src="../assets/${build.window.script}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
}

/**
 * The window page's Content-Security-Policy: its own scripts, styles and socket only, images from
 * itself and from the blobs of fetched attachments; framed only by the widget's allowed sites (any
 * site when it lists none).
 */
export function windowPageCsp(config: WidgetConfig): string {
  const api = new URL(config.apiUrl);
  const socketOrigin = `${api.protocol === 'https:' ? 'wss:' : 'ws:'}//${api.host}`;
  const ancestors = config.allowedOrigins.length > 0 ? config.allowedOrigins.join(' ') : '*';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    `connect-src 'self' ${socketOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}
