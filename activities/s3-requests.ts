import { createHash, createHmac, type BinaryLike, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';

// S3 requests signed with SigV4 over one keep-alive connection pool: what the AWS SDK does for
// the few calls ObjectStore makes, without its middleware stack (about three times the client CPU
// per call; bench/s3-client.ts). No retries here: the activities retry.

export interface S3Settings {
  /** Where S3 answers, e.g. http://127.0.0.1:7070; objects are addressed path-style under it. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** How long one request may take, from sending it to the last byte of the answer. */
  timeoutMs: number;
}

export interface S3Call {
  /** S3's name for the operation (GetObject, CopyObject…), for errors. */
  operation: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  /** The object's key; none for calls on the bucket. */
  key?: string;
  body?: string;
  /** Hex SHA-256 of the body, when the caller has it already. */
  bodySha256?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** S3 may answer this call 200 and report in the body that it failed (CopyObject does). */
  mayFailWith200?: boolean;
}

export interface S3Answer {
  status: number;
  body: Buffer;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

const toBinary = (data: string | ArrayBuffer | ArrayBufferView): BinaryLike =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** SHA-256, or HMAC-SHA-256 under a key, over node:crypto: the hash the signer is given. */
class Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly key?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.start();
  }

  private start(): Hash | Hmac {
    return this.key === undefined ? createHash('sha256') : createHmac('sha256', toBinary(this.key));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBinary(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    this.hash = this.start();
  }
}

/** A key in a URL path: each segment percent-encoded, everything but RFC 3986's unreserved characters, `/` kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** The text of the first `<name>…</name>` element in an XML document. */
function element(xml: string, name: string): string | undefined {
  const open = `<${name}>`;
  const start = xml.indexOf(open);
  if (start < 0) return undefined;
  const end = xml.indexOf(`</${name}>`, start + open.length);
  return end < 0 ? undefined : xml.slice(start + open.length, end);
}

/** S3's error document (`<Error><Code>…</Code><Message>…</Message></Error>`), or undefined when the body is not one. */
function errorDocument(body: Buffer): { code: string; message: string } | undefined {
  const xml = body.toString('utf8');
  const error = element(xml, 'Error');
  if (error === undefined) return undefined;
  return { code: element(error, 'Code') ?? '', message: element(error, 'Message') ?? '' };
}

/** What a call was about, for errors: the object and its bucket, or the bucket. */
const targetOf = (call: S3Call, bucket: string) => (call.key === undefined ? `bucket ${bucket}` : `"${call.key}" in bucket ${bucket}`);

/** S3 refused a request: `code` is S3's error code (empty when the answer had no body, as for HEAD). */
export class S3Error extends Error {
  readonly code: string;

  constructor(
    call: S3Call,
    bucket: string,
    readonly status: number,
    body: Buffer,
  ) {
    const { code, message } = errorDocument(body) ?? { code: '', message: '' };
    super(`S3 ${call.operation} of ${targetOf(call, bucket)} failed: HTTP ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`);
    this.name = 'S3Error';
    this.code = code;
  }
}

/** The request went out on a kept-alive connection the server had closed: it never reached S3. */
class StaleConnection extends Error {}

/** Signed requests to one bucket. */
export class S3Requests {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly signer: SignatureV4;

  constructor(private readonly settings: S3Settings) {
    this.url = new URL(settings.endpoint);
    this.basePath = `${this.url.pathname.replace(/\/$/, '')}/${encodeKey(settings.bucket)}`;
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true });
    this.signer = new SignatureV4({
      service: 's3',
      region: settings.region,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      sha256: Checksum,
      // S3 signs the path as sent (already encoded), not encoded once more.
      uriEscapePath: false,
    });
  }

  /** The x-amz-copy-source header naming an object of this bucket. */
  copySource(key: string): string {
    return `/${encodeKey(this.settings.bucket)}/${encodeKey(key)}`;
  }

  /** Resolves with S3's answer when its status is 2xx; rejects with an S3Error when S3 refused, or with an Error (whose cause has the socket's code) when it did not answer. */
  async send(call: S3Call): Promise<S3Answer> {
    const headers: Record<string, string> = {
      ...call.headers,
      host: this.url.host,
      'x-amz-content-sha256': call.body === undefined ? EMPTY_SHA256 : (call.bodySha256 ?? createHash('sha256').update(call.body).digest('hex')),
    };
    if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
    const path = call.key === undefined ? this.basePath : `${this.basePath}/${encodeKey(call.key)}`;
    const signed = await this.signer.sign({ method: call.method, protocol: this.url.protocol, hostname: this.url.hostname, path, query: {}, headers });
    const timeoutMs = call.timeoutMs ?? this.settings.timeoutMs;
    const answer = await this.exchange(call, path, signed.headers, timeoutMs).catch((err: unknown) => {
      // A kept-alive connection S3 closed just as this request went out on it (the request never
      // reached S3): sent once more on a fresh connection, as Node's documentation advises.
      if (err instanceof StaleConnection) return this.exchange(call, path, signed.headers, timeoutMs);
      throw err;
    });
    const refused = answer.status < 200 || answer.status > 299 || (call.mayFailWith200 === true && errorDocument(answer.body) !== undefined);
    if (refused) throw new S3Error(call, this.settings.bucket, answer.status, answer.body);
    return answer;
  }

  private exchange(call: S3Call, path: string, headers: Record<string, string>, timeoutMs: number): Promise<S3Answer> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const fail = (err: Error) => {
        clearTimeout(timer);
        const message = `S3 ${call.operation} of ${targetOf(call, this.settings.bucket)} at ${this.url.origin} failed: ${err.message}`;
        const stale = request.reusedSocket && !answered && (err as NodeJS.ErrnoException).code === 'ECONNRESET';
        reject(stale ? new StaleConnection(message, { cause: err }) : new Error(message, { cause: err }));
      };
      const request = this.transport.request(
        { agent: this.agent, protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, method: call.method, path, headers },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('end', () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) });
          });
        },
      );
      const timer = setTimeout(() => {
        fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
        request.destroy();
      }, timeoutMs);
      request.on('error', fail);
      request.end(call.body);
    });
  }

  /** Closes the pooled connections. */
  destroy(): void {
    this.agent.destroy();
  }
}
