// Reading a line from the terminal, with or without echo (for passwords). Raw mode, so
// that what is typed for a password never reaches the screen; Ctrl-C stops the command.

import { InterruptedError } from './http';

export interface TerminalInput {
  isTTY?: boolean;
  setRawMode(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
}

export interface TerminalOutput {
  write(text: string): unknown;
}

export function readTerminalLine(
  question: string,
  echo: boolean,
  input: TerminalInput = process.stdin,
  output: TerminalOutput = process.stderr,
): Promise<string> {
  output.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  let line = '';
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new InterruptedError());
        if (ch === '\u007f' || ch === '\b') {
          if (line && echo) output.write('\b \b');
          line = line.slice(0, -1);
        } else if (ch >= ' ') {
          line += ch;
          if (echo) output.write(ch);
        }
      }
    };
    input.on('data', onData);
  });
}
