import { execFile } from 'node:child_process';
import type { IpmiDriverInfo } from '../../nodes/schema';
import { BmcError, type BmcDriver, type BootDevice, type PowerState } from './driver';

export interface IpmitoolOptions {
  /** Used in error messages: which node this BMC belongs to. */
  nodeId: string;
  ipmitoolPath?: string;
  /** Cipher suite when the node's driver_info names none. */
  defaultCipherSuite: number;
  /** Per call, seconds. */
  timeoutSeconds?: number;
  /** Attempts per call for transient failures (no answer, timeout). */
  attempts?: number;
  retryDelayMs?: number;
}

// What ipmitool's answers mean, in words a person can act on, and whether trying again can
// help. (`-v` makes ipmitool say why a session failed: a bad password and a dead BMC otherwise
// both end in "Unable to establish IPMI v2 / RMCP+ session".)
const MEANINGS: { pattern: RegExp; words: string; permanent: boolean }[] = [
  { pattern: /node busy/i, words: 'the BMC is busy', permanent: false },
  { pattern: /RAKP \d+ HMAC is invalid/i, words: 'the BMC rejected the username or password', permanent: true },
  { pattern: /RAKP \d+ message indicates an error/i, words: 'the BMC refused the user (unknown user name, or no access over the LAN)', permanent: true },
  { pattern: /invalid authentication algorithm/i, words: 'the BMC does not offer this cipher suite: set driver_info.ipmi_cipher_suite (3 or 17)', permanent: true },
  { pattern: /Insufficient privilege/i, words: "the BMC user's privilege is too low for this command (it needs ADMINISTRATOR)", permanent: true },
  { pattern: /Invalid data field in request|Invalid command/i, words: 'the BMC refused the command', permanent: true },
];

// What `-v` prints on every session and says nothing about the command's fate.
const NOISE = /^(Loading IANA|Running Get VSO Capabilities|Invalid completion code received|Discovered IPMB address)/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ipmitool's whole environment: the worker's own holds DATABASE_URL, the S3 secret and the like.
const CHILD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MAX_LINE = 160;
const MAX_ANSWER = 300;

/**
 * Drives a BMC with ipmitool over lanplus, as Ironic's ipmitool driver does. The password
 * travels in the child's environment (`-E`), never on its command line.
 */
export class IpmitoolDriver implements BmcDriver {
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(
    private readonly info: IpmiDriverInfo,
    private readonly options: IpmitoolOptions,
  ) {
    this.timeoutMs = (info.ipmi_timeout ?? options.timeoutSeconds ?? 15) * 1000;
    this.attempts = options.attempts ?? 3;
  }

  async powerStatus(): Promise<PowerState> {
    const out = await this.run(['power', 'status']);
    if (/Chassis Power is on/i.test(out)) return 'power on';
    if (/Chassis Power is off/i.test(out)) return 'power off';
    throw new BmcError(this.describe(['power', 'status'], `unexpected answer: ${this.summary(out)}`), true);
  }

  async powerOn(): Promise<void> {
    await this.run(['power', 'on']);
  }

  async powerOff(): Promise<void> {
    await this.run(['power', 'off']);
  }

  async powerCycle(): Promise<void> {
    await this.run(['power', 'cycle']);
  }

  /** ipmitool exits 0 on some refusals, so the setting is read back and confirmed. */
  async setBootDevice(device: BootDevice): Promise<void> {
    const set = ['chassis', 'bootdev', device];
    // `chassis bootdev` exits 0 even when the BMC refused it (busy, invalid data): read what it said.
    const answer = this.summary(await this.run(set));
    if (/Invalid|Error|Unable|failed/i.test(answer)) throw this.failure(set, answer);
    const readBack = await this.run(['chassis', 'bootparam', 'get', '5']);
    const expected = device === 'pxe' ? /Force PXE/i : /Force Boot from default Hard-Drive/i;
    if (!expected.test(readBack)) {
      const selector = this.summary(/Boot Device Selector\s*:\s*(.*)/i.exec(readBack)?.[1] ?? readBack);
      throw new BmcError(this.describe(set, `BMC accepted the command but reports boot device "${selector}"`), true);
    }
  }

  /**
   * What ipmitool said, as a message may carry it: its last meaningful lines (they say why it
   * failed), each cut short, the password redacted should it ever appear.
   */
  private summary(output: string): string {
    const secret = this.info.ipmi_password;
    const lines = output
      .split('\n')
      .map((line) => (secret ? line.split(secret).join('******') : line))
      .map((line) => line.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim().replace(/^> ?/, ''))
      .filter((line) => line && !NOISE.test(line))
      .slice(-3)
      .map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line));
    const answer = lines.join(' | ');
    return answer.length > MAX_ANSWER ? `…${answer.slice(-(MAX_ANSWER - 1))}` : answer;
  }

  /** What ipmitool said, in words where they are known, and whether another try can help. */
  private failure(args: string[], said: string): BmcError {
    const meaning = MEANINGS.find((m) => m.pattern.test(said));
    return new BmcError(this.describe(args, meaning ? `${meaning.words} (ipmitool: ${said})` : said), !meaning?.permanent);
  }

  private describe(args: string[], answer: string): string {
    return `node ${this.options.nodeId}: ipmitool ${args.join(' ')} against ${this.info.ipmi_address}:${this.info.ipmi_port} failed: ${answer}`;
  }

  private async run(args: string[]): Promise<string> {
    let lastError: BmcError | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await this.once(args);
      } catch (err) {
        if (!(err instanceof BmcError) || !err.retryable) throw err;
        lastError = err;
        if (attempt < this.attempts) await sleep((this.options.retryDelayMs ?? 1000) * attempt);
      }
    }
    throw new BmcError(`${lastError!.message} (after ${this.attempts} attempts)`, true);
  }

  private once(args: string[]): Promise<string> {
    const cipher = this.info.ipmi_cipher_suite ?? this.options.defaultCipherSuite;
    const argv = [
      '-I', 'lanplus',
      '-H', this.info.ipmi_address,
      '-p', String(this.info.ipmi_port),
      '-U', this.info.ipmi_username,
      '-E',
      '-C', String(cipher),
      // ipmitool's own retransmissions stay short; our timeout and attempts bound the call.
      '-N', '1',
      '-R', '2',
      '-v',
      ...args,
    ];
    const env = { PATH: CHILD_PATH, LANG: 'C', IPMI_PASSWORD: this.info.ipmi_password };
    return new Promise((resolve, reject) => {
      execFile(this.options.ipmitoolPath ?? 'ipmitool', argv, { env, timeout: this.timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        if (!err) return resolve(`${stdout}${stderr}`); // some refusals come with exit code 0, on stderr
        const answer = this.summary(`${stderr}${stdout}`);
        const timedOut = (err as { killed?: boolean }).killed === true;
        if (timedOut) return reject(new BmcError(this.describe(args, `no answer within ${this.timeoutMs / 1000} s`), true));
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(new BmcError(this.describe(args, 'ipmitool is not installed'), false));
        }
        reject(this.failure(args, answer || `exit code ${String(err.code)}`));
      });
    });
  }
}
