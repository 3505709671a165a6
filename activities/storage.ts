import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';

export interface ObjectStoreSettings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Object names ironic-inspector uses in Swift, kept so tooling that knows them still works. */
export const objectNames = {
  processed: (uuid: string) => `inspector_data-${uuid}`,
  unprocessed: (uuid: string) => `inspector_data-${uuid}-UNPROCESSED`,
  extraHardware: (uuid: string) => `extra_hardware-${uuid}`,
  /** One agent post, under a name of its own until its run accepts it (then it becomes `unprocessed`). */
  received: (uuid: string, postId: string) => `received/${uuid}/${postId}`,
  /** The ramdisk's logs, kept apart from the data: readable by admins only. */
  logs: (uuid: string) => `inspector_logs-${uuid}`,
  logsOf: (objectName: string) => `${objectName}-logs`,
  /** One accepted introspection's processed data, kept in the node's history (nodes/history.ts) under its workflow run's id. */
  history: (uuid: string, runId: string) => `inspector_data-${uuid}-history/${runId}`,
  historyUnprocessed: (uuid: string, runId: string) => `inspector_data-${uuid}-history/${runId}-UNPROCESSED`,
};

/** What was written: its size and the SHA-256 of its bytes (hex). */
export interface StoredObject {
  bytes: number;
  sha256: string;
}

/** JSON documents in one S3 bucket: introspection data, raw and processed. */
export class ObjectStore {
  private readonly s3: S3Client;

  constructor(private readonly settings: ObjectStoreSettings) {
    this.s3 = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      // No CRC32 of every body sent and read back: the connection (TLS, or the host itself) carries the data intact.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    });
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      if (!(err instanceof S3ServiceException) || err.$metadata.httpStatusCode !== 404) throw err;
      await this.s3.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
    }
  }

  /** Resolves when the bucket answers (readiness). */
  async ping(timeoutMs: number): Promise<void> {
    await this.s3.send(new HeadBucketCommand({ Bucket: this.settings.bucket }), { abortSignal: AbortSignal.timeout(timeoutMs) });
  }

  async putJson(name: string, value: unknown): Promise<StoredObject> {
    const body = JSON.stringify(value);
    await this.s3.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: name, Body: body, ContentType: 'application/json' }));
    return { bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') };
  }

  /** The parsed document, or undefined when there is no such object. */
  async getJson(name: string): Promise<unknown> {
    return (await this.readJson(name))?.value;
  }

  /** The parsed document and its size in bytes, or undefined when there is no such object. */
  async readJson(name: string): Promise<{ value: unknown; bytes: number } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: name }));
      const text = await out.Body!.transformToString();
      return { value: JSON.parse(text), bytes: Buffer.byteLength(text) };
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: name }));
  }

  /** Copies an object within the bucket; false when there is no such object. */
  async copy(from: string, to: string): Promise<boolean> {
    try {
      await this.s3.send(new CopyObjectCommand({ Bucket: this.settings.bucket, CopySource: `${this.settings.bucket}/${from}`, Key: to }));
      return true;
    } catch (err) {
      if (err instanceof NoSuchKey || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) return false;
      throw err;
    }
  }

  destroy(): void {
    this.s3.destroy();
  }
}
