// The README's examples as data: its indented shell blocks split into commands (continuation
// lines joined, the trailing `# comment` apart), and its ``` fenced blocks, each with the section
// it is in. test/e2e/readme.test.ts runs the commands; editing one changes what it runs.

export interface ReadmeCommand {
  /** As written, continuation lines included, without the trailing comment. */
  text: string;
  /** The trailing comment (without `#`): what the README says the command does. */
  comment: string | null;
}

export interface ReadmeBlock {
  /** The heading of the section it is in (`## Example` → `Example`). */
  section: string;
  /** 1-based line of its first line. */
  line: number;
  /** An indented block (commands), or a ``` fenced one (config or data) with its info string. */
  kind: 'shell' | 'fenced';
  info: string;
  text: string;
}

const INDENT = '    ';

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('```')) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      if (end < 0) throw new Error(`README line ${i + 1}: a fence that is never closed`);
      blocks.push({ section, line: i + 1, kind: 'fenced', info: line.slice(3).trim(), text: lines.slice(i + 1, end).join('\n') });
      i = end;
    } else if (line.startsWith('#')) {
      section = line.replace(/^#+\s*/, '').trim();
    } else if (line.startsWith(INDENT) && (i === 0 || lines[i - 1].trim() === '')) {
      let end = i;
      while (end + 1 < lines.length && lines[end + 1].startsWith(INDENT)) end++;
      blocks.push({ section, line: i + 1, kind: 'shell', info: '', text: lines.slice(i, end + 1).map((l) => l.slice(INDENT.length)).join('\n') });
      i = end;
    }
  }
  return blocks;
}

/** Where an unquoted ` #` starts a comment in a shell line, or -1 (quotes and backslashes as bash reads them). */
function commentStart(text: string): number {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\') {
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return i;
    }
  }
  return -1;
}

/** A shell block's commands: a line ending in a backslash (before any comment) goes on on the next. */
export function commandsOf(block: ReadmeBlock): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let pending = '';
  for (const line of block.text.split('\n')) {
    if (!pending && line.trim() === '') continue;
    const joined = pending + line;
    const at = commentStart(joined);
    const code = (at < 0 ? joined : joined.slice(0, at)).trimEnd();
    if (code.endsWith('\\') && at < 0) {
      pending = `${joined}\n`;
      continue;
    }
    if (code) commands.push({ text: code, comment: at < 0 ? null : joined.slice(at + 1).trim() });
    pending = '';
  }
  if (pending) throw new Error(`README line ${block.line}: a command ends in a backslash`);
  return commands;
}
