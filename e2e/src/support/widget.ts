import type { FrameLocator, Locator, Page } from 'playwright-core';

/** A customer's page with the widget's snippet, loading the loader from `loaderUrl`. */
export function pageWithSnippet(input: { loaderUrl: string; publicKey: string; title?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title ?? 'Acme'}</title></head>
<body><h1>Acme</h1><p>Our products.</p><a href="#top">A link before the chat</a>
<script async src="${input.loaderUrl}" data-widget="${input.publicKey}"></script>
</body></html>`;
}

/** The chat button (inside the loader's shadow root, which Playwright's CSS pierces). */
export const chatButton = (page: Page) => page.locator('[data-plauder] button.button');

/** The chat window's content, inside its iframe. */
export const chatWindow = (page: Page): FrameLocator => page.frameLocator('[data-plauder] iframe');

/** Whether the element has the keyboard focus in its document or shadow root. */
export function isFocused(locator: Locator): Promise<boolean> {
  // Runs in the browser; the shape is spelled out since this project's Node configuration has no DOM types.
  return locator.evaluate(
    (element: { getRootNode(): { activeElement?: unknown } }) => element.getRootNode().activeElement === element,
  );
}
