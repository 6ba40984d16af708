/**
 * Reads exact byte counts from a stream of pieces of any size. It holds the pieces a read needs and
 * no more, so memory stays within one read plus one piece of the source.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pieces: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far: the offset of the next byte in the stream. */
  offset = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Pulls from the source until `bytes` bytes are held or it ends; true when they are held. */
  private async fill(bytes: number): Promise<boolean> {
    while (this.buffered < bytes && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.pieces.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= bytes;
  }

  /** The next `bytes` bytes, or fewer when the stream ends before. */
  async read(bytes: number): Promise<Buffer> {
    await this.fill(bytes);
    const take = Math.min(bytes, this.buffered);
    const first = this.pieces[0];
    let out: Buffer;
    if (first && first.length >= take) {
      out = first.subarray(0, take);
      if (first.length === take) this.pieces.shift();
      else this.pieces[0] = first.subarray(take);
    } else {
      out = Buffer.allocUnsafe(take);
      let filled = 0;
      let used = 0;
      // The pieces hold `buffered` >= `take` bytes, so they run out only once `take` bytes are copied.
      for (let piece = this.pieces[0]; piece && filled < take; piece = this.pieces[used]) {
        const copied = piece.copy(out, filled, 0, take - filled);
        filled += copied;
        if (copied < piece.length) this.pieces[used] = piece.subarray(copied);
        else used += 1;
      }
      // One splice for all pieces used up: a read of many small pieces stays linear.
      this.pieces.splice(0, used);
    }
    this.buffered -= take;
    this.offset += take;
    return out;
  }

  /** Whether the stream has no more bytes. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Lets the source release what it holds (a file handle, a connection), when reading stops early. */
  async close(): Promise<void> {
    if (!this.ended) await this.iterator.return?.();
    this.ended = true;
  }
}
