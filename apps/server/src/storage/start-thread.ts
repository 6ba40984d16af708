import { Worker } from 'node:worker_threads';

/**
 * Starts the thread's script `name` of the folder of module `from` (the caller's `import.meta.url`): the
 * compiled module in a build; from the TypeScript sources (tests, `tsx`), through tsx's loader,
 * registered in the thread before the module is imported.
 */
export function startThread(from: string, name: string, workerData: unknown): Worker {
  const script = new URL(`./${name}${from.endsWith('.ts') ? '.ts' : '.js'}`, from);
  if (script.pathname.endsWith('.js')) return new Worker(script, { workerData });
  const source = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(source, { eval: true, workerData });
}
