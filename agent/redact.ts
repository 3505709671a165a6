// The run's agent token must not leave the ramdisk in anything the agent reports: the kernel
// command line that carries it shows up in dmesg, the journal and hardware-detect's output.

export const REDACTED = '******';

const CMDLINE_TOKEN = /(ipa-agent-token=)[^\s"']+/g;

export type Redact = (text: string) => string;

/** Hides `ipa-agent-token=<anything>` and, anywhere, the token itself when it is known. */
export function tokenRedactor(token: string | null): Redact {
  return (text) => {
    const masked = text.replace(CMDLINE_TOKEN, `$1${REDACTED}`);
    return token ? masked.split(token).join(REDACTED) : masked;
  };
}

/** Every string in a JSON value, redacted (a new value; the input is left alone). */
export function redactStrings<T>(value: T, redact: Redact): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item, redact)])) as T;
  }
  return value;
}
