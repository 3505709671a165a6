// The CLI's credentials for both APIs, shared by their clients: resolved on the first
// request; after a 401 the user is asked once (when someone can answer: stdin is a terminal)
// and the refused requests are sent again with what they typed.

import { basicAuthorization, type Credentials, credentialsHint, resolveCredentials } from './credentials';

/** Asks the user for a user name and a password for `api` ("the node API at http://..."). */
export type AskCredentials = (api: string) => Promise<Pick<Credentials, 'username' | 'password'>>;

export class Auth {
  private credentials: Credentials | null | undefined;
  private asking: Promise<void> | undefined;

  constructor(
    private readonly env: Record<string, string | undefined>,
    /** Absent when nobody can answer. */
    private readonly ask?: AskCredentials,
  ) {}

  /** The Authorization header to send, if there are credentials. */
  header(): string | undefined {
    if (this.credentials === undefined) this.credentials = resolveCredentials(this.env);
    return this.credentials ? basicAuthorization(this.credentials) : undefined;
  }

  /**
   * After a 401 to a request sent with `refused`: asks for credentials (once, whatever
   * the number of refused requests); true when there are other ones to try.
   */
  async renew(refused: string | undefined, api: string): Promise<boolean> {
    if (!this.ask) return false;
    this.asking ??= this.ask(api).then((answer) => {
      this.credentials = { ...answer, from: 'the prompt' };
    });
    await this.asking;
    return this.header() !== refused;
  }

  /** Why a request was refused with 401, and what to do. */
  unauthorized(api: string): string {
    const c = this.credentials;
    const hint = credentialsHint(this.env);
    if (!c) return `the ${api} requires a user and password: ${hint}`;
    return `the ${api} refused user "${c.username}" (from ${c.from}): wrong user name or password; ${hint}`;
  }

  /** Why a request was refused with 403. */
  forbidden(api: string, request: string, serverMessage: string): string {
    const who = this.credentials ? `user "${this.credentials.username}"` : 'this user';
    return `${who} lacks the admin role needed for ${request} on the ${api} (${serverMessage})`;
  }
}
