// Who this repo's clients (the CLI, sim/main.ts, bench/bulk.ts) are to the APIs' HTTP basic
// authentication: INTROSPECTOR_USERNAME + INTROSPECTOR_PASSWORD when set, else the password
// of `admin` that `npm start` keeps in $INTROSPECTOR_DATA_DIR/admin-password (when this user
// can read it), else nobody. Passwords never come from argv and are never printed.

import fs from 'node:fs';
import { adminPasswordFile } from '../common/config';

export const USERNAME_ENV = 'INTROSPECTOR_USERNAME';
export const PASSWORD_ENV = 'INTROSPECTOR_PASSWORD';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for messages: the variables, the file, the prompt. */
  from: string;
}

type Env = Record<string, string | undefined>;

/** The environment names one variable of the pair but not the other. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}


export function resolveCredentials(env: Env): Credentials | null {
  const username = env[USERNAME_ENV];
  const password = env[PASSWORD_ENV];
  if (username || password) {
    if (!username || !password) {
      throw new CredentialsError(`${username ? PASSWORD_ENV : USERNAME_ENV} is not set: set both ${USERNAME_ENV} and ${PASSWORD_ENV}`);
    }
    return { username, password, from: `${USERNAME_ENV}/${PASSWORD_ENV}` };
  }
  const file = adminPasswordFile(env);
  try {
    const stored = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (stored) return { username: 'admin', password: stored, from: file };
  } catch {
    // not the host (or the user) of `npm start`
  }
  return null;
}

/** What to do about a 401, for messages. */
export function credentialsHint(env: Env): string {
  return `set ${USERNAME_ENV} and ${PASSWORD_ENV} (npm start keeps the password of admin in ${adminPasswordFile(env)})`;
}

export function basicAuthorization(credentials: Pick<Credentials, 'username' | 'password'>): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** Headers for a plain fetch(): the Authorization header when there are credentials. */
export function authHeaders(credentials: Pick<Credentials, 'username' | 'password'> | null): Record<string, string> {
  return credentials ? { authorization: basicAuthorization(credentials) } : {};
}
