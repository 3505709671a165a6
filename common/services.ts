import { ObjectStore } from '../activities/storage';
import type { Config } from './config';

export function objectStoreFor(config: Config): ObjectStore {
  return new ObjectStore({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    bucket: config.S3_BUCKET,
    accessKeyId: config.S3_ACCESS_KEY,
    secretAccessKey: config.S3_SECRET_KEY,
  });
}
