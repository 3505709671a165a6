import { createHash } from 'node:crypto';
import { S3Error, S3Requests } from './s3-requests';

export interface ObjectStoreSettings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** How long one S3 call may take (default 30 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

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
  private readonly s3: S3Requests;

  constructor(settings: ObjectStoreSettings) {
    this.s3 = new S3Requests({ ...settings, timeoutMs: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.s3.send({ operation: 'HeadBucket', method: 'HEAD' });
    } catch (err) {
      if (!(err instanceof S3Error) || err.status !== 404) throw err;
      try {
        await this.s3.send({ operation: 'CreateBucket', method: 'PUT' });
      } catch (createErr) {
        // The API and the worker start together: the other one may have just created it.
        if (!(createErr instanceof S3Error) || createErr.code !== 'BucketAlreadyOwnedByYou') throw createErr;
      }
    }
  }

  /** Resolves when the bucket answers (readiness). */
  async ping(timeoutMs: number): Promise<void> {
    await this.s3.send({ operation: 'HeadBucket', method: 'HEAD', timeoutMs });
  }

  async putJson(name: string, value: unknown): Promise<StoredObject> {
    const body = JSON.stringify(value);
    const sha256 = createHash('sha256').update(body).digest('hex');
    await this.s3.send({ operation: 'PutObject', method: 'PUT', key: name, body, bodySha256: sha256, headers: { 'content-type': 'application/json' } });
    return { bytes: Buffer.byteLength(body), sha256 };
  }

  /** The parsed document, or undefined when there is no such object. */
  async getJson(name: string): Promise<unknown> {
    return (await this.readJson(name))?.value;
  }

  /** The parsed document and its size in bytes, or undefined when there is no such object. */
  async readJson(name: string): Promise<{ value: unknown; bytes: number } | undefined> {
    try {
      const { body } = await this.s3.send({ operation: 'GetObject', method: 'GET', key: name });
      return { value: JSON.parse(body.toString('utf8')), bytes: body.length };
    } catch (err) {
      if (err instanceof S3Error && err.code === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  /** Deletes an object; there being no such object is no error (S3 answers 204 either way). */
  async delete(name: string): Promise<void> {
    await this.s3.send({ operation: 'DeleteObject', method: 'DELETE', key: name });
  }

  /** Copies an object within the bucket; false when there is no such object. */
  async copy(from: string, to: string): Promise<boolean> {
    try {
      await this.s3.send({ operation: 'CopyObject', method: 'PUT', key: to, headers: { 'x-amz-copy-source': this.s3.copySource(from) }, mayFailWith200: true });
      return true;
    } catch (err) {
      // Only NoSuchKey: versitygw answers 404 to an unknown access key too (XAdminUserNotFound).
      if (err instanceof S3Error && err.code === 'NoSuchKey') return false;
      throw err;
    }
  }

  /** Closes the store's connections. */
  destroy(): void {
    this.s3.destroy();
  }
}
