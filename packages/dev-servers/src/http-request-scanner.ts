/** What the scanner found in one chunk a client sent. */
export interface ScanResult {
  /** The bytes to pass on: the whole chunk, or its start when a cut is due. */
  forward: Buffer;
  /** Set when the current request is to be cut once `forward` has gone out: its line and body bytes sent by then. */
  cut?: { requestLine: string; bodyBytes: number };
}

/**
 * Decides, when a request head is complete, whether that request's body is cut and after how many bytes (fewer
 * than `bodyBytes`, its declared length).
 */
export type CutDecision = (requestLine: string, bodyBytes: number) => number | undefined;

const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Follows the HTTP/1.1 requests on one client connection (heads, then `Content-Length` bodies), so a proxy can
 * record each request line and cut a chosen request's body at an exact byte. A chunked body or an oversized head
 * ends the tracking: everything after it passes through unscanned.
 */
export class HttpRequestScanner {
  #head = Buffer.alloc(0);
  #bodyLeft = 0;
  #bodySent = 0;
  #cutAt: number | undefined;
  #requestLine = '';
  #lost = false;

  constructor(
    readonly onRequest: (requestLine: string) => void,
    readonly decide: CutDecision,
  ) {}

  scan(chunk: Buffer): ScanResult {
    let offset = 0;
    while (offset < chunk.length && !this.#lost) {
      if (this.#bodyLeft === 0) {
        offset = this.#readHead(chunk, offset);
        continue;
      }
      const n = Math.min(this.#bodyLeft, chunk.length - offset);
      if (this.#cutAt !== undefined && this.#bodySent + n >= this.#cutAt) {
        const take = this.#cutAt - this.#bodySent;
        return {
          forward: chunk.subarray(0, offset + take),
          cut: { requestLine: this.#requestLine, bodyBytes: this.#cutAt },
        };
      }
      this.#bodySent += n;
      this.#bodyLeft -= n;
      offset += n;
    }
    return { forward: chunk };
  }

  /** Consumes head bytes from `chunk` at `offset`; returns where the head ended (or the chunk's end). */
  #readHead(chunk: Buffer, offset: number): number {
    const pending = Buffer.concat([this.#head, chunk.subarray(offset)]);
    const end = pending.indexOf(HEAD_END);
    if (end < 0) {
      this.#head = pending;
      if (pending.length > MAX_HEAD_BYTES) this.#lost = true;
      return chunk.length;
    }
    const consumed = end + HEAD_END.length - this.#head.length;
    const lines = pending.subarray(0, end).toString('latin1').split('\r\n');
    this.#head = Buffer.alloc(0);
    const requestLine = (this.#requestLine = lines[0] ?? '');
    const header = (name: string) =>
      lines
        .slice(1)
        .find((line) => line.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    if (/chunked/i.test(header('transfer-encoding') ?? '')) this.#lost = true;
    this.onRequest(requestLine);
    this.#bodyLeft = Number(header('content-length') ?? 0) || 0;
    this.#bodySent = 0;
    const cut = this.#bodyLeft > 0 ? this.decide(requestLine, this.#bodyLeft) : undefined;
    this.#cutAt = cut !== undefined && cut < this.#bodyLeft ? cut : undefined;
    return offset + consumed;
  }
}
