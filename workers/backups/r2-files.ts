/**
 * Streaming reads and writes of backup files in R2, hashing as the bytes pass: a table of any size is exported,
 * verified and restored in bounded memory. Hashes are incremental (`crypto.DigestStream`, the Workers runtime's
 * streaming form of `crypto.subtle.digest`); whole buffers (model files, the manifest) use `crypto.subtle.digest`.
 */
import { decodeRow, NdjsonLineSplitter, type SqlRow } from "../../core/backups/ndjson.js";

/** Size of each multipart part, bytes (R2 wants parts of one size, at least 5 MiB, except the last). */
export const PART_BYTES = 8 * 1024 * 1024;

const toHex = (digest: ArrayBuffer): string => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 of `bytes` as 64 lower-case hex digits. */
export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** What a finished write stored. */
export interface WrittenFile {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Writes one R2 object from streamed chunks and hashes them on the way: a single `put` (checked by R2 against the
 * hash) when the object fits in one part, otherwise a multipart upload of `partBytes` parts. Call `close` to finish or
 * `abort` to drop what was sent.
 */
export class HashingR2Writer {
  private readonly digest = new crypto.DigestStream("SHA-256");
  private readonly digestWriter = this.digest.getWriter();
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private totalBytes = 0;
  private upload: R2MultipartUpload | undefined;
  private readonly parts: R2UploadedPart[] = [];

  constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly options: { readonly contentType: string; readonly partBytes?: number },
  ) {}

  private get partBytes(): number {
    return this.options.partBytes ?? PART_BYTES;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    await this.digestWriter.write(chunk);
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.byteLength;
    this.totalBytes += chunk.byteLength;
    while (this.bufferedBytes >= this.partBytes) await this.uploadPart(this.take(this.partBytes));
  }

  /** The first `size` buffered bytes, removed from the buffer. */
  private take(size: number): Uint8Array {
    const all = concat(this.buffered, this.bufferedBytes);
    const rest = all.subarray(size);
    this.buffered = rest.byteLength > 0 ? [rest] : [];
    this.bufferedBytes = rest.byteLength;
    return all.subarray(0, size);
  }

  private async uploadPart(bytes: Uint8Array): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, { httpMetadata: { contentType: this.options.contentType } });
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, bytes));
  }

  async close(): Promise<WrittenFile> {
    await this.digestWriter.close();
    const sha256 = toHex(await this.digest.digest);
    if (this.upload === undefined) {
      await this.bucket.put(this.key, concat(this.buffered, this.bufferedBytes), { sha256, httpMetadata: { contentType: this.options.contentType } });
    } else {
      if (this.bufferedBytes > 0) await this.uploadPart(this.take(this.bufferedBytes));
      await this.upload.complete(this.parts);
    }
    return { bytes: this.totalBytes, sha256 };
  }

  async abort(): Promise<void> {
    await this.digestWriter.abort().catch(() => undefined);
    await this.upload?.abort().catch(() => undefined);
  }
}

/**
 * Streams rows into `key` as gzip NDJSON: `write` takes NDJSON text, `close` answers the compressed size and hash.
 */
export class GzipNdjsonWriter {
  private readonly gzip = new CompressionStream("gzip");
  private readonly input = this.gzip.writable.getWriter();
  private readonly file: HashingR2Writer;
  private readonly pump: Promise<void>;
  private readonly encoder = new TextEncoder();

  constructor(bucket: R2Bucket, key: string, options: { readonly partBytes?: number } = {}) {
    const file = new HashingR2Writer(bucket, key, { contentType: "application/gzip", ...options });
    const compressed = this.gzip.readable;
    this.file = file;
    this.pump = (async () => {
      for await (const chunk of compressed) await file.write(chunk);
    })();
    // Surfaced by close(); without this an early failure would be an unhandled rejection meanwhile.
    this.pump.catch(() => undefined);
  }

  async write(text: string): Promise<void> {
    if (text.length > 0) await this.input.write(this.encoder.encode(text));
  }

  async close(): Promise<WrittenFile> {
    await this.input.close();
    await this.pump;
    return await this.file.close();
  }

  async abort(): Promise<void> {
    await this.input.abort().catch(() => undefined);
    await this.pump.catch(() => undefined);
    await this.file.abort();
  }
}

/** What reading an object back found. */
export interface InspectedObject {
  readonly bytes: number;
  readonly sha256: string;
  readonly etag: string;
  /** Table files: rows decoded, or why decoding stopped. */
  readonly rows?: number;
  readonly unreadable?: string;
}

async function hashStream(stream: ReadableStream<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.byteLength;
    await writer.write(chunk);
  }
  await writer.close();
  return { bytes, sha256: toHex(await digest.digest) };
}

/** Every row of a gzip NDJSON stream, decoded strictly against `columns`. */
export async function* gzipNdjsonRows(stream: ReadableStream<Uint8Array>, columns: readonly string[]): AsyncGenerator<SqlRow, void, undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  const splitter = new NdjsonLineSplitter();
  for await (const chunk of stream.pipeThrough(new DecompressionStream("gzip"))) {
    for (const line of splitter.push(decoder.decode(chunk, { stream: true }))) yield decodeRow(line, columns);
  }
  for (const line of splitter.push(decoder.decode())) yield decodeRow(line, columns);
  for (const line of splitter.end()) yield decodeRow(line, columns);
}

async function countRows(stream: ReadableStream<Uint8Array>, columns: readonly string[]): Promise<{ rows: number } | { unreadable: string }> {
  let rows = 0;
  try {
    for await (const _row of gzipNdjsonRows(stream, columns)) rows++;
    return { rows };
  } catch (error: unknown) {
    return { unreadable: `after ${rows} rows: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Reads an object once, hashing its bytes and, for a table file (`columns` given), decoding every row: null when the
 * object does not exist.
 */
export async function inspectObject(bucket: R2Bucket, key: string, columns?: readonly string[]): Promise<InspectedObject | null> {
  const object = await bucket.get(key);
  if (object === null) return null;
  if (columns === undefined) return { ...(await hashStream(object.body)), etag: object.etag };
  const [forHash, forRows] = object.body.tee();
  const [hashed, counted] = await Promise.all([hashStream(forHash), countRows(forRows, columns)]);
  return { ...hashed, etag: object.etag, ...counted };
}
