/**
 * Hands bytes fetched by the console to the browser as a download. An export is fetched, not linked,
 * so that a refusal shows the API's message in the page instead of a failed download.
 */

/** Saves a blob under a file name through the browser's download. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has taken the bytes once the click returns; a minute leaves slow browsers room.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
