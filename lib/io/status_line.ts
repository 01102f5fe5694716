/**
 * The live one-line status on stderr: rewritten in place on a terminal, printed as a plain line
 * every few seconds otherwise (so logs stay readable).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes a status line to stderr without ever blocking the caller on a slow terminal. */
export class StatusLine {
  readonly #isTerminal: boolean;
  readonly #plainEveryMs: number;
  #lastPlainMs = -Infinity;
  #shown = false;

  /**
   * Makes a status line that has shown nothing yet.
   *
   * @param plainEveryMs How often to print when stderr is not a terminal.
   * @param isTerminal Override for tests; defaults to whether stderr is a TTY.
   */
  constructor(plainEveryMs = 5000, isTerminal = Deno.stderr.isTerminal()) {
    this.#isTerminal = isTerminal;
    this.#plainEveryMs = plainEveryMs;
  }

  /** Shows `text` as the current status. */
  update(text: string, nowMs = performance.now()): void {
    if (this.#isTerminal) {
      this.#write(`\r\x1b[2K${text}`);
      this.#shown = true;
    } else if (nowMs - this.#lastPlainMs >= this.#plainEveryMs) {
      this.#lastPlainMs = nowMs;
      this.#write(`${text}\n`);
    }
  }

  /** Prints a message on its own line, keeping the status line intact below it. */
  log(message: string): void {
    this.#write(this.#isTerminal && this.#shown ? `\r\x1b[2K${message}\n` : `${message}\n`);
    this.#shown = false;
  }

  /** Ends the status line so the shell prompt starts on a fresh line. */
  finish(): void {
    if (this.#isTerminal && this.#shown) this.#write("\n");
    this.#shown = false;
  }

  #write(text: string): void {
    try {
      Deno.stderr.writeSync(encoder.encode(text));
    } catch {
      // A closed stderr must not stop the stream.
    }
  }
}
