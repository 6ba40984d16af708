import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger with `options` that writes its lines, one JSON object each, into `lines`. */
export function capturingLogger(options: pino.LoggerOptions = {}): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino(options, stream), lines };
}
