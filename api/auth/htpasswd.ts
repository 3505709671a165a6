import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { log } from '../../common/log';
import bcrypt from 'bcryptjs';

// Apache htpasswd files of bcrypt entries, as Ironic's http_basic_auth_user_file reads them
// (`htpasswd -B`): one `user:$2y$...` per line; other hash types are refused, as Ironic does.

const BCRYPT_PREFIXES = ['$2y$', '$2b$', '$2a$'];
const BCRYPT_COST = 10;

/** user → bcrypt hash, and the lines that were not bcrypt entries (for a warning). */
export function parseHtpasswd(text: string): { users: Map<string, string>; skipped: number[] } {
  const users = new Map<string, string>();
  const skipped: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT_PREFIXES.some((p) => hash.startsWith(p))) skipped.push(i + 1);
    else users.set(user, hash);
  });
  return { users, skipped };
}

/** The file's users, read again whenever the file changes (an operator edits it with `htpasswd -B`). */
export class Htpasswd {
  private users = new Map<string, string>();
  private stamp = '';
  /** Bumped on every reload, so caches of verified credentials can tell they are stale. */
  generation = 0;

  constructor(
    private readonly file: string,
    private readonly warn: (message: string) => void = (message) => log().warn(message),
  ) {
    this.reload();
  }

  private reload(): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      throw new Error(`HTPASSWD_FILE ${this.file} cannot be read: create it with htpasswd -B -c ${this.file} admin`);
    }
    const stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (stamp === this.stamp) return;
    const { users, skipped } = parseHtpasswd(fs.readFileSync(this.file, 'utf8'));
    if (skipped.length) this.warn(`${this.file}: lines ${skipped.join(', ')} are not bcrypt entries (htpasswd -B) and are ignored`);
    this.users = users;
    this.stamp = stamp;
    this.generation++;
  }

  /** Reads the file again if it changed; a file gone or unreadable keeps the users last read. */
  refresh(): void {
    try {
      this.reload();
    } catch (err) {
      this.warn((err as Error).message);
    }
  }

  /** Whether the password is the user's; an unknown user costs the same bcrypt work as a known one. */
  async verify(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH);
    return ok && hash !== undefined;
  }
}

const DUMMY_HASH = bcrypt.hashSync(randomBytes(16).toString('hex'), BCRYPT_COST);

export const bcryptEntry = (user: string, password: string) => `${user}:${bcrypt.hashSync(password, BCRYPT_COST)}`;

/**
 * Makes sure the user admin exists: on first start (no htpasswd file) it is created with
 * `password`, or a random one; either is kept in `passwordFile` (mode 0600). With a password
 * given, an existing admin entry that does not match it is replaced. Returns the password it generated.
 */
export function ensureAdminUser(file: string, passwordFile: string, password?: string): string | undefined {
  const exists = fs.existsSync(file);
  if (exists && password === undefined) return undefined;
  const text = exists ? fs.readFileSync(file, 'utf8') : '';
  const current = parseHtpasswd(text).users.get('admin');
  if (password !== undefined && current && bcrypt.compareSync(password, current)) return undefined;
  const generated = password === undefined ? randomBytes(18).toString('base64url') : undefined;
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('admin:'));
  lines.push(bcryptEntry('admin', password ?? generated!));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writePrivate(file, `${lines.join('\n')}\n`);
  // Beside the registry, which holds the BMC passwords: the local CLI and `npm run sim` read it.
  writePrivate(passwordFile, `${password ?? generated}\n`);
  return generated;
}

function writePrivate(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
