/**
 * Text received from the network (a server's INFO, a message payload, an API error body) made
 * safe to print: every control or invisible formatting character, which a terminal could obey
 * (ESC starts a sequence that can retitle the window or clear the screen), is shown as an escape
 * such as `\x1b` or `\u202e` instead. Printable text, spaces included, is unchanged.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (char) => {
    const code = char.codePointAt(0) as number;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
