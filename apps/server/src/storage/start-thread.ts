import { Worker } from 'node:worker_threads';

/**
 * Starts a thread's script of this folder: the compiled module in a build; from the TypeScript sources
 * (tests, `tsx`), through tsx's loader, registered in the thread before the module is imported.
 */
export function startThread(name: 'sqlite-writer-thread' | 'checkpointer-thread', workerData: unknown): Worker {
  const script = new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  if (script.pathname.endsWith('.js')) return new Worker(script, { workerData });
  const source = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(source, { eval: true, workerData });
}
